// RUN: xdsl-opt %s -p 'snn-prune{sparsity=0.5 scope=global}' --split-input-file | filecheck %s
// RUN: xdsl-opt %s -p 'snn-prune{sparsity=0.5 scope="global"}' --split-input-file | filecheck %s

// One magnitude cut over all synapse weights of the graph: the small first layer loses
// everything below the cut, the large second layer nothing; 4 of 8 weights go in all.
snn.graph @global_scope(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0 : f64} {
  %h = snn.linear %x {weight = dense<[[0.1, -0.2], [0.3, -0.4]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %s = snn.if %h {r = dense<1.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %y = snn.linear %s {weight = dense<[[10.0, 20.0], [30.0, -5.0]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %y : tensor<2xf32>
}

// CHECK-LABEL: snn.graph @global_scope
// CHECK-SAME:    snn.approximations = [{pass = "snn-prune", sparsity = 5.000000e-01 : f64, pruned = 4 : i64, scope = "global", target = 5.000000e-01 : f64}]
// CHECK-NEXT:    %h = snn.linear %x {weight = dense<0.000000e+00> : tensor<2x2xf32>}
// CHECK-NEXT:    %s = snn.if %h
// CHECK-NEXT:    %y = snn.linear %s {weight = dense<{{\[\[}}1.000000e+01, 2.000000e+01], [3.000000e+01, -5.000000e+00]]> : tensor<2x2xf32>}
// CHECK-NEXT:    snn.output %y : tensor<2xf32>

// -----

// Convolutions take part with every kernel tap: 3 of 6 weights of the graph go.
snn.graph @global_conv(%x: tensor<1x4xf32>) -> tensor<2x4xf32> attributes {dt = 1.0 : f64} {
  %c = snn.conv1d %x {weight = dense<[[[0.5, -3.0, 0.25]], [[2.0, 0.1, -1.0]]]> : tensor<2x1x3xf32>, bias = dense<[0.0, 1.0]> : tensor<2xf32>, stride = array<i64: 1>, padding = array<i64: 1>, dilation = array<i64: 1>, groups = 1 : i64} : tensor<1x4xf32> -> tensor<2x4xf32>
  snn.output %c : tensor<2x4xf32>
}

// CHECK-LABEL: snn.graph @global_conv
// CHECK-NEXT:    %c = snn.conv1d %x {weight = dense<{{\[\[\[}}0.000000e+00, -3.000000e+00, 0.000000e+00]], {{\[\[}}2.000000e+00, 0.000000e+00, -1.000000e+00]]]> : tensor<2x1x3xf32>, bias = dense<[0.000000e+00, 1.000000e+00]> : tensor<2xf32>

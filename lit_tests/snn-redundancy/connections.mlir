// RUN: xdsl-opt %s -p snn-redundancy --split-input-file | filecheck %s

// An all-zero synapse into an add contributes nothing: the operand goes, and an add left
// with one operand disappears.
snn.graph @zero_edge(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-03 : f64} {
  %a = snn.linear %x {weight = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %z = snn.linear %x {weight = dense<0.0> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %i = snn.add %a, %z : tensor<2xf32>
  %s = snn.if %i {r = dense<1.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %s : tensor<2xf32>
}

// CHECK-LABEL: @zero_edge
// CHECK-NEXT:    %a = snn.linear %x {{.*}} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %s = snn.if %a {{.*}} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    snn.output %s : tensor<2xf32>

// -----

// Parallel edges: two affine maps of the same input summed by one add become one affine
// with the summed weights and biases.
snn.graph @parallel(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.0e-03 : f64} {
  %a = snn.affine %x {weight = dense<[[1.0, 2.0]]> : tensor<1x2xf32>, bias = dense<0.5> : tensor<1xf32>} : tensor<2xf32> -> tensor<1xf32>
  %b = snn.affine %x {weight = dense<[[3.0, -2.0]]> : tensor<1x2xf32>, bias = dense<0.25> : tensor<1xf32>} : tensor<2xf32> -> tensor<1xf32>
  %i = snn.add %a, %b : tensor<1xf32>
  %s = snn.if %i {r = dense<1.0> : tensor<1xf32>, v_threshold = dense<1.0> : tensor<1xf32>, v_reset = dense<0.0> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
  snn.output %s : tensor<1xf32>
}

// CHECK-LABEL: @parallel
// CHECK-NEXT:    %{{.*}} = snn.affine %x {weight = dense<{{\[\[}}4.000000e+00, 0.000000e+00]]> : tensor<1x2xf32>, bias = dense<7.500000e-01> : tensor<1xf32>} : tensor<2xf32> -> tensor<1xf32>
// CHECK-NEXT:    %s = snn.if %{{.*}} : tensor<1xf32> -> tensor<1xf32>
// CHECK-NEXT:    snn.output %s : tensor<1xf32>

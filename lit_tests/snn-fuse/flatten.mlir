// RUN: xdsl-opt %s -p snn-fuse --split-input-file | filecheck %s

// A full flatten before an affine synapse: the synapse reads the feature map directly, with
// the same weight (it reads a rank > 1 operand flattened row-major).
snn.graph @flatten_affine(%x: tensor<2x2x2xf32>) -> tensor<1xf32> attributes {dt = 1.0e-04 : f64} {
  %f = snn.flatten %x {start_dim = 0 : i64, end_dim = -1 : i64} : tensor<2x2x2xf32> -> tensor<8xf32>
  %y = snn.affine %f {weight = dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]]> : tensor<1x8xf32>, bias = dense<0.5> : tensor<1xf32>} : tensor<8xf32> -> tensor<1xf32>
  snn.output %y : tensor<1xf32>
}

// CHECK-LABEL: @flatten_affine
// CHECK-NEXT:    %y = snn.affine %x {weight = dense<{{\[\[}}1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 5.000000e+00, 6.000000e+00, 7.000000e+00, 8.000000e+00]]> : tensor<1x8xf32>, bias = dense<5.000000e-01> : tensor<1xf32>} : tensor<2x2x2xf32> -> tensor<1xf32>
// CHECK-NEXT:    snn.output %y : tensor<1xf32>

// -----

// A flatten read by two dense synapses and a graph output: both synapses read the feature
// map, the flatten stays for the output.
snn.graph @flatten_shared(%x: tensor<2x3xf32>) -> (tensor<6xf32>, tensor<1xf32>, tensor<2xf32>) attributes {dt = 1.0e-04 : f64} {
  %f = snn.flatten %x {start_dim = 0 : i64, end_dim = -1 : i64} : tensor<2x3xf32> -> tensor<6xf32>
  %a = snn.linear %f {weight = dense<1.0> : tensor<1x6xf32>} : tensor<6xf32> -> tensor<1xf32>
  %s = snn.lif %f {tau = dense<2.0e-02> : tensor<6xf32>, r = dense<1.0> : tensor<6xf32>, v_leak = dense<0.0> : tensor<6xf32>, v_threshold = dense<1.0> : tensor<6xf32>, v_reset = dense<0.0> : tensor<6xf32>} : tensor<6xf32> -> tensor<6xf32>
  %b = snn.linear %f {weight = dense<2.0> : tensor<2x6xf32>} : tensor<6xf32> -> tensor<2xf32>
  snn.output %s, %a, %b : tensor<6xf32>, tensor<1xf32>, tensor<2xf32>
}

// CHECK-LABEL: @flatten_shared
// CHECK-NEXT:    %f = snn.flatten %x {start_dim = 0 : i64, end_dim = -1 : i64} : tensor<2x3xf32> -> tensor<6xf32>
// CHECK-NEXT:    %a = snn.linear %x {weight = dense<1.000000e+00> : tensor<1x6xf32>} : tensor<2x3xf32> -> tensor<1xf32>
// CHECK-NEXT:    %s = snn.lif %f
// CHECK-NEXT:    %b = snn.linear %x {weight = dense<2.000000e+00> : tensor<2x6xf32>} : tensor<2x3xf32> -> tensor<2xf32>
// CHECK-NEXT:    snn.output %s, %a, %b : tensor<6xf32>, tensor<1xf32>, tensor<2xf32>

// -----

// Pooled spikes, flattened into a dense layer (the shape of a Sinabs CNN's head).
snn.graph @pool_flatten_dense(%x: tensor<1x4x4xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %s = snn.if %x {r = dense<1.0> : tensor<1x4x4xf32>, v_threshold = dense<1.0> : tensor<1x4x4xf32>, v_reset = dense<0.0> : tensor<1x4x4xf32>} : tensor<1x4x4xf32> -> tensor<1x4x4xf32>
  %p = snn.sum_pool2d %s {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x4x4xf32> -> tensor<1x2x2xf32>
  %f = snn.flatten %p {start_dim = 0 : i64, end_dim = -1 : i64} : tensor<1x2x2xf32> -> tensor<4xf32>
  %y = snn.linear %f {weight = dense<[[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 1.0, 0.0]]> : tensor<2x4xf32>} : tensor<4xf32> -> tensor<2xf32>
  snn.output %y : tensor<2xf32>
}

// CHECK-LABEL: @pool_flatten_dense
// CHECK-NEXT:    %s = snn.if %x
// CHECK-NEXT:    %p = snn.sum_pool2d %s
// CHECK-NEXT:    %y = snn.linear %p {weight = dense<{{.*}}> : tensor<2x4xf32>} : tensor<1x2x2xf32> -> tensor<2xf32>
// CHECK-NEXT:    snn.output %y : tensor<2xf32>

// -----

// Must not change: the flattened value feeds neurons and the output only.
snn.graph @flatten_no_dense(%x: tensor<2x3xf32>) -> tensor<6xf32> attributes {dt = 1.0e-04 : f64} {
  %f = snn.flatten %x {start_dim = 0 : i64, end_dim = -1 : i64} : tensor<2x3xf32> -> tensor<6xf32>
  %v = snn.integrator %f {r = dense<1.0> : tensor<6xf32>} : tensor<6xf32> -> tensor<6xf32>
  snn.output %v : tensor<6xf32>
}

// CHECK-LABEL: @flatten_no_dense
// CHECK-NEXT:    %f = snn.flatten %x
// CHECK-NEXT:    %v = snn.integrator %f
// CHECK-NEXT:    snn.output %v : tensor<6xf32>

// RUN: xdsl-opt %s -p snn-fuse --split-input-file | filecheck %s

// A scale by ones, a delay of zero steps (4e-5 s rounds to 0 steps of 1e-4 s) and a
// flatten of a vector are identities; the graph's output reads the neurons directly.
snn.graph @identities(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %v = snn.li %x {tau = dense<1.0e-02> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %s = snn.scale %v {scale = dense<1.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %d = snn.delay %s {delay = dense<[0.0, 4.0e-05]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %f = snn.flatten %d {start_dim = 0 : i64, end_dim = -1 : i64} : tensor<2xf32> -> tensor<2xf32>
  snn.output %f : tensor<2xf32>
}

// CHECK-LABEL: @identities
// CHECK-NEXT:    %v = snn.li %x
// CHECK-NEXT:    snn.output %v : tensor<2xf32>

// -----

// A flatten over one axis keeps the shape; the graph input then feeds the output directly.
snn.graph @flatten_one_axis(%x: tensor<2x3xf32>) -> tensor<2x3xf32> attributes {dt = 1.0e-04 : f64} {
  %f = snn.flatten %x {start_dim = 1 : i64, end_dim = 1 : i64} : tensor<2x3xf32> -> tensor<2x3xf32>
  snn.output %f : tensor<2x3xf32>
}

// CHECK-LABEL: @flatten_one_axis
// CHECK-NEXT:    snn.output %x : tensor<2x3xf32>

// -----

// Must not change: a scale with one factor other than one, a delay of one step, a flatten
// that changes the shape.
snn.graph @not_identities(%x: tensor<2x2xf32>) -> tensor<4xf32> attributes {dt = 1.0e-04 : f64} {
  %s = snn.scale %x {scale = dense<[[1.0, 1.0], [1.0, -1.0]]> : tensor<2x2xf32>} : tensor<2x2xf32> -> tensor<2x2xf32>
  %d = snn.delay %s {delay = dense<[[0.0, 0.0], [0.0, 1.0e-04]]> : tensor<2x2xf32>} : tensor<2x2xf32> -> tensor<2x2xf32>
  %f = snn.flatten %d {start_dim = 0 : i64, end_dim = -1 : i64} : tensor<2x2xf32> -> tensor<4xf32>
  snn.output %f : tensor<4xf32>
}

// CHECK-LABEL: @not_identities
// CHECK-NEXT:    %s = snn.scale %x
// CHECK-NEXT:    %d = snn.delay %s
// CHECK-NEXT:    %f = snn.flatten %d
// CHECK-NEXT:    snn.output %f : tensor<4xf32>

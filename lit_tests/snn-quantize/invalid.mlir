// The integer form of a synapse op's weights is verified: the diagnostic names the op and
// the problem.
// RUN: %verify-diagnostics

// CHECK: snn.linear: weight element 1 is 0.3, not an integer multiple of its weight_scale 0.25
snn.graph @off_grid(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.0 : f64} {
  %y = snn.linear %x {weight = dense<[[0.5, 0.3]]> : tensor<1x2xf32>, weight_scale = dense<0.25> : tensor<1xf32>, weight_bits = 4 : i64} : tensor<2xf32> -> tensor<1xf32>
  snn.output %y : tensor<1xf32>
}

// -----

// CHECK: snn.linear: weight element 0 is 8 x weight_scale, outside the 4-bit range [-7, 7]
snn.graph @out_of_range(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.0 : f64} {
  %y = snn.linear %x {weight = dense<[[2.0, 0.25]]> : tensor<1x2xf32>, weight_scale = dense<0.25> : tensor<1xf32>, weight_bits = 4 : i64} : tensor<2xf32> -> tensor<1xf32>
  snn.output %y : tensor<1xf32>
}

// -----

// CHECK: snn.affine: bias element 1 is 0.1, not an integer multiple of its weight_scale 0.25
snn.graph @bias_off_grid(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0 : f64} {
  %y = snn.affine %x {weight = dense<[[0.5, -1.0], [0.25, 0.0]]> : tensor<2x2xf32>, bias = dense<[0.75, 0.1]> : tensor<2xf32>, weight_scale = dense<0.25> : tensor<1xf32>, weight_bits = 4 : i64} : tensor<2xf32> -> tensor<2xf32>
  snn.output %y : tensor<2xf32>
}

// -----

// CHECK: snn.linear: 'weight_scale' needs 'weight_bits' as well
snn.graph @no_bits(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.0 : f64} {
  %y = snn.linear %x {weight = dense<[[0.5, 0.25]]> : tensor<1x2xf32>, weight_scale = dense<0.25> : tensor<1xf32>} : tensor<2xf32> -> tensor<1xf32>
  snn.output %y : tensor<1xf32>
}

// -----

// CHECK: snn.linear: 'weight_bits' needs 'weight_scale' as well
snn.graph @no_scale(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.0 : f64} {
  %y = snn.linear %x {weight = dense<[[0.5, 0.25]]> : tensor<1x2xf32>, weight_bits = 8 : i64} : tensor<2xf32> -> tensor<1xf32>
  snn.output %y : tensor<1xf32>
}

// -----

// CHECK: snn.linear: 'weight_bits' must lie in [2, 16], got 17
snn.graph @wide(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.0 : f64} {
  %y = snn.linear %x {weight = dense<[[0.5, 0.25]]> : tensor<1x2xf32>, weight_scale = dense<0.25> : tensor<1xf32>, weight_bits = 17 : i64} : tensor<2xf32> -> tensor<1xf32>
  snn.output %y : tensor<1xf32>
}

// -----

// CHECK: snn.conv1d: 'weight_scale' must have shape [1] (per layer) or [2] (per output), got [3]
snn.graph @scale_shape(%x: tensor<1x2xf32>) -> tensor<2x1xf32> attributes {dt = 1.0 : f64} {
  %c = snn.conv1d %x {weight = dense<0.5> : tensor<2x1x2xf32>, bias = dense<0.0> : tensor<2xf32>, stride = array<i64: 1>, padding = array<i64: 0>, dilation = array<i64: 1>, groups = 1 : i64, weight_scale = dense<0.5> : tensor<3xf32>, weight_bits = 3 : i64} : tensor<1x2xf32> -> tensor<2x1xf32>
  snn.output %c : tensor<2x1xf32>
}

// -----

// CHECK: snn.linear: 'weight_scale' must be positive, element 0 is -0.25
snn.graph @negative_scale(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.0 : f64} {
  %y = snn.linear %x {weight = dense<[[0.5, 0.25]]> : tensor<1x2xf32>, weight_scale = dense<-0.25> : tensor<1xf32>, weight_bits = 4 : i64} : tensor<2xf32> -> tensor<1xf32>
  snn.output %y : tensor<1xf32>
}

// RUN: xdsl-opt %s -p 'snn-quantize{bits=4 param_bits=0}' --split-input-file | filecheck %s
// RUN: xdsl-opt %s -p 'snn-quantize{bits=4 per_channel=true param_bits=0}' --split-input-file | filecheck %s --check-prefix=CHANNEL

// Per layer: the largest |w| is 1.75 = 7 steps of 0.25 (qmax = 7 at 4 bits). Weights and bias
// are rounded to multiples of 0.25 (half to even); the grid is recorded on the op.
snn.graph @affine(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0 : f64} {
  %y = snn.affine %x {weight = dense<[[0.3, -1.75], [0.875, 0.3]]> : tensor<2x2xf32>, bias = dense<[0.2, 1.0]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %y : tensor<2xf32>
}

// CHECK-LABEL: snn.graph @affine
// CHECK-SAME:    snn.approximations = [{pass = "snn-quantize", bits = 4 : i64, per_channel = 0 : i64, param_bits = 0 : i64, layers = 1 : i64, max_weight_error = {{.*}} : f64, weight_error = {{.*}} : f64, neuron_ops = 0 : i64, max_param_error = 0.000000e+00 : f64, max_decay_error = 0.000000e+00 : f64}]}
// CHECK-NEXT:    %y = snn.affine %x {weight = dense<{{\[\[}}2.500000e-01, -1.750000e+00], [1.000000e+00, 2.500000e-01]]> : tensor<2x2xf32>, bias = dense<[2.500000e-01, 1.000000e+00]> : tensor<2xf32>, weight_scale = dense<2.500000e-01> : tensor<1xf32>, weight_bits = 4 : i64}
// CHECK-NEXT:    snn.output %y

// Per channel: row 1 has its own scale 0.875 / 7 = 0.125.
// CHANNEL-LABEL: snn.graph @affine
// CHANNEL:         %y = snn.affine %x {weight = dense<{{\[\[}}2.500000e-01, -1.750000e+00], [8.750000e-01, 2.500000e-01]]> : tensor<2x2xf32>, bias = dense<[2.500000e-01, 1.000000e+00]> : tensor<2xf32>, weight_scale = dense<[2.500000e-01, 1.250000e-01]> : tensor<2xf32>, weight_bits = 4 : i64}

// -----

// A linear layer has no bias; a conv layer's scale is per output channel with per_channel.
snn.graph @linear_conv(%x: tensor<1x3xf32>) -> tensor<2xf32> attributes {dt = 1.0 : f64} {
  %c = snn.conv1d %x {weight = dense<[[[0.5, -3.5]], [[0.3, 0.875]]]> : tensor<2x1x2xf32>, bias = dense<[0.0, 0.1]> : tensor<2xf32>, stride = array<i64: 1>, padding = array<i64: 0>, dilation = array<i64: 1>, groups = 1 : i64} : tensor<1x3xf32> -> tensor<2x2xf32>
  %y = snn.linear %c {weight = dense<[[7.0, 1.0, 2.2, -0.4], [0.0, 0.0, 0.0, 0.0]]> : tensor<2x4xf32>} : tensor<2x2xf32> -> tensor<2xf32>
  snn.output %y : tensor<2xf32>
}

// CHECK-LABEL: snn.graph @linear_conv
// CHECK-SAME:    layers = 2 : i64
// CHECK-NEXT:    %c = snn.conv1d %x {weight = dense<{{\[\[\[}}5.000000e-01, -3.500000e+00]], {{\[\[}}5.000000e-01, 1.000000e+00]]]> : tensor<2x1x2xf32>, bias = dense<0.000000e+00> : tensor<2xf32>, {{.*}}, weight_scale = dense<5.000000e-01> : tensor<1xf32>, weight_bits = 4 : i64}
// CHECK-NEXT:    %y = snn.linear %c {weight = dense<{{\[\[}}7.000000e+00, 1.000000e+00, 2.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00]]> : tensor<2x4xf32>, weight_scale = dense<1.000000e+00> : tensor<1xf32>, weight_bits = 4 : i64}

// An all-zero row takes the scale 1.0 (it has no bias to take one from).
// CHANNEL-LABEL: snn.graph @linear_conv
// CHANNEL-NEXT:    %c = snn.conv1d %x {weight = dense<{{\[\[\[}}5.000000e-01, -3.500000e+00]], {{\[\[}}2.500000e-01, 8.750000e-01]]]> : tensor<2x1x2xf32>, bias = dense<[0.000000e+00, 1.250000e-01]> : tensor<2xf32>, {{.*}}, weight_scale = dense<[5.000000e-01, 1.250000e-01]> : tensor<2xf32>, weight_bits = 4 : i64}
// CHANNEL-NEXT:    %y = snn.linear %c {weight = {{.*}}, weight_scale = dense<1.000000e+00> : tensor<2xf32>, weight_bits = 4 : i64}

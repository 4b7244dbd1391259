// The integer form of synapse weights (weight_scale, weight_bits) round-trips in custom and
// generic form.
// RUN: %roundtrip
// RUN: %generic-roundtrip
// RUN: %generic

// CHECK:      %y = snn.affine %x {weight = dense<{{\[\[}}5.000000e-01, -1.000000e+00], [2.500000e-01, 0.000000e+00]]> : tensor<2x2xf32>, bias = dense<[7.500000e-01, 0.000000e+00]> : tensor<2xf32>, weight_scale = dense<2.500000e-01> : tensor<1xf32>, weight_bits = 4 : i64}
snn.graph @valid(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0 : f64} {
  %y = snn.affine %x {weight = dense<[[0.5, -1.0], [0.25, 0.0]]> : tensor<2x2xf32>, bias = dense<[0.75, 0.0]> : tensor<2xf32>, weight_scale = dense<0.25> : tensor<1xf32>, weight_bits = 4 : i64} : tensor<2xf32> -> tensor<2xf32>
  snn.output %y : tensor<2xf32>
}

// -----

// CHECK-GENERIC: "snn.conv1d"(%x) <{{{.*}}weight_scale = dense<[5.000000e-01, 1.250000e-01]> : tensor<2xf32>, weight_bits = 3 : i64}>
// CHECK:      %c = snn.conv1d %x {{.*}} weight_scale = dense<[5.000000e-01, 1.250000e-01]> : tensor<2xf32>, weight_bits = 3 : i64}
snn.graph @valid_conv(%x: tensor<1x2xf32>) -> tensor<2x1xf32> attributes {dt = 1.0 : f64} {
  %c = snn.conv1d %x {weight = dense<[[[1.5, -0.5]], [[0.375, 0.0]]]> : tensor<2x1x2xf32>, bias = dense<[0.0, 10.0]> : tensor<2xf32>, stride = array<i64: 1>, padding = array<i64: 0>, dilation = array<i64: 1>, groups = 1 : i64, weight_scale = dense<[0.5, 0.125]> : tensor<2xf32>, weight_bits = 3 : i64} : tensor<1x2xf32> -> tensor<2x1xf32>
  snn.output %c : tensor<2x1xf32>
}

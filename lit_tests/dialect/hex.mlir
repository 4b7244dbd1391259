// Weights of more than 100 elements print as little-endian hex (`dense<"0x...">`), which
// re-parses to the same bytes; up to 100 elements they print as a decimal list.
//
// RUN: %roundtrip
// RUN: %generic-roundtrip
// RUN: %generic

// 102 elements, w[i] = i / 8: 0.0 is 00000000, 0.125 is 0x3E000000, 0.25 is 0x3E800000 and
// the last, 12.625, is 0x414A0000, each written with its low byte first.
snn.graph @hex(%x: tensor<51xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.linear %x {weight = dense<[[0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1, 1.125, 1.25, 1.375, 1.5, 1.625, 1.75, 1.875, 2, 2.125, 2.25, 2.375, 2.5, 2.625, 2.75, 2.875, 3, 3.125, 3.25, 3.375, 3.5, 3.625, 3.75, 3.875, 4, 4.125, 4.25, 4.375, 4.5, 4.625, 4.75, 4.875, 5, 5.125, 5.25, 5.375, 5.5, 5.625, 5.75, 5.875, 6, 6.125, 6.25], [6.375, 6.5, 6.625, 6.75, 6.875, 7, 7.125, 7.25, 7.375, 7.5, 7.625, 7.75, 7.875, 8, 8.125, 8.25, 8.375, 8.5, 8.625, 8.75, 8.875, 9, 9.125, 9.25, 9.375, 9.5, 9.625, 9.75, 9.875, 10, 10.125, 10.25, 10.375, 10.5, 10.625, 10.75, 10.875, 11, 11.125, 11.25, 11.375, 11.5, 11.625, 11.75, 11.875, 12, 12.125, 12.25, 12.375, 12.5, 12.625]]> : tensor<2x51xf32>} : tensor<51xf32> -> tensor<2xf32>
  snn.output %y : tensor<2xf32>
}

// CHECK-LABEL: snn.graph @hex(
// CHECK-NEXT:    %y = snn.linear %x {weight = dense<"0x000000000000003E0000803E{{([0-9A-F]{784})}}00004A41"> : tensor<2x51xf32>} : tensor<51xf32> -> tensor<2xf32>

// CHECK-GENERIC-LABEL: "snn.graph"() <{sym_name = "hex",
// CHECK-GENERIC:         %y = "snn.linear"(%x) <{weight = dense<"0x000000000000003E0000803E{{([0-9A-F]{784})}}00004A41"> : tensor<2x51xf32>}>

// -----

// Exactly 100 elements: still a decimal list.
snn.graph @decimal(%x: tensor<50xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.linear %x {weight = dense<[[0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.25, 2.5, 2.75, 3, 3.25, 3.5, 3.75, 4, 4.25, 4.5, 4.75, 5, 5.25, 5.5, 5.75, 6, 6.25, 6.5, 6.75, 7, 7.25, 7.5, 7.75, 8, 8.25, 8.5, 8.75, 9, 9.25, 9.5, 9.75, 10, 10.25, 10.5, 10.75, 11, 11.25, 11.5, 11.75, 12, 12.25], [12.5, 12.75, 13, 13.25, 13.5, 13.75, 14, 14.25, 14.5, 14.75, 15, 15.25, 15.5, 15.75, 16, 16.25, 16.5, 16.75, 17, 17.25, 17.5, 17.75, 18, 18.25, 18.5, 18.75, 19, 19.25, 19.5, 19.75, 20, 20.25, 20.5, 20.75, 21, 21.25, 21.5, 21.75, 22, 22.25, 22.5, 22.75, 23, 23.25, 23.5, 23.75, 24, 24.25, 24.5, 24.75]]> : tensor<2x50xf32>} : tensor<50xf32> -> tensor<2xf32>
  snn.output %y : tensor<2xf32>
}

// CHECK-LABEL: snn.graph @decimal(
// CHECK-NEXT:    %y = snn.linear %x {weight = dense<[[0.000000e+00, 2.500000e-01, 5.000000e-01, {{.*}}, 2.475000e+01]]> : tensor<2x50xf32>}

// CHECK-GENERIC-LABEL: "snn.graph"() <{sym_name = "decimal",
// CHECK-GENERIC:         <{weight = dense<[[0.000000e+00, 2.500000e-01, {{.*}}, 2.475000e+01]]> : tensor<2x50xf32>}>

// -----

// Hex written by hand: [[1.0, -2.0], [0.5, 0.0], [0.0, 3.0]] as raw bytes. A hex string
// that holds a single element is a splat, as in MLIR.
snn.graph @hex_input(%x: tensor<2xf32>) -> tensor<3xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.affine %x {weight = dense<"0x0000803F000000C00000003F000000000000000000004040"> : tensor<3x2xf32>, bias = dense<"0x0000003F"> : tensor<3xf32>} : tensor<2xf32> -> tensor<3xf32>
  snn.output %y : tensor<3xf32>
}

// CHECK-LABEL: snn.graph @hex_input(
// CHECK-NEXT:    %y = snn.affine %x {weight = dense<[[1.000000e+00, -2.000000e+00], [5.000000e-01, 0.000000e+00], [0.000000e+00, 3.000000e+00]]> : tensor<3x2xf32>, bias = dense<5.000000e-01> : tensor<3xf32>}

// CHECK-GENERIC-LABEL: "snn.graph"() <{sym_name = "hex_input",
// CHECK-GENERIC:         <{weight = dense<[[1.000000e+00, -2.000000e+00], [5.000000e-01, 0.000000e+00], [0.000000e+00, 3.000000e+00]]> : tensor<3x2xf32>, bias = dense<5.000000e-01> : tensor<3xf32>}>

// Malformed textual IR is reported by the parser with file, line, column and the problem.
//
// RUN: %verify-diagnostics
// RUN: %verify-diagnostics --check-prefix=NO-TRACEBACK
// NO-TRACEBACK-NOT: Traceback

// Raw bytes for three f32 elements where the type holds two: the parser refuses the literal
// (the verifier's own byte-count check covers attributes built from Python).
snn.graph @hex_too_long(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.scale %x {scale = dense<"0x0000803F0000803F0000803F"> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %y : tensor<2xf32>
}

// CHECK:      parse_errors.mlir:[[# @LINE - 4]]:81
// CHECK:      Shape mismatch in dense literal. Expected 2 elements from the type, but got 3 elements.

// -----

// Five bytes: one element and a stray byte. (Exactly one element's bytes would be a splat.)
snn.graph @hex_ragged(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.scale %x {scale = dense<"0x0000803F00"> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %y : tensor<2xf32>
}

// CHECK:      parse_errors.mlir:[[# @LINE - 4]]:67
// CHECK:      Shape mismatch in dense literal. Expected 2 elements from the type, but got 1 elements.

// -----

// A graph needs its time step...
snn.graph @no_dt(%x: tensor<2xf32>) -> tensor<2xf32> {
  snn.output %x : tensor<2xf32>
}

// CHECK:      parse_errors.mlir:[[# @LINE - 4]]:11
// CHECK:      snn.graph @no_dt needs a float attribute 'dt' (the time step)

// -----

// ... as a float.
snn.graph @integer_dt(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1 : i64} {
  snn.output %x : tensor<2xf32>
}

// CHECK:      parse_errors.mlir:[[# @LINE - 4]]:11
// CHECK:      snn.graph @integer_dt needs a float attribute 'dt' (the time step)

// -----

// The custom form of snn.add names one type for all its operands.
snn.graph @add_operand_type(%x: tensor<2xf32>, %z: tensor<3xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %a = snn.add %x, %z : tensor<2xf32>
  snn.output %a : tensor<2xf32>
}

// CHECK:      parse_errors.mlir:[[# @LINE - 4]]:20
// CHECK:      operand is used with type tensor<2xf32>, but has been previously used or defined with type tensor<3xf32>

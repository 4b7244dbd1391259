// calibrated=true rounds like GPTQ: fan-in columns in order, each rounding error pushed into
// the columns not yet rounded through the inverse of the profiled input moment. The integer
// form (weight / weight_scale exact integers) is the same as without it; a second run changes
// nothing.
// RUN: xdsl-opt %s -p 'snn-quantize{bits=2 param_bits=0 calibrated=true damping=1.0e-6},snn-quantize{bits=2 param_bits=0 calibrated=true damping=1.0e-6}' | filecheck %s
// RUN: xdsl-opt %s -p 'snn-quantize{bits=2 param_bits=0}' | filecheck %s --check-prefix=PLAIN
// RUN: xdsl-opt %s -p 'snn-quantize{calibrated=true damping=0.0}' --verify-diagnostics | filecheck %s --check-prefix=DAMPING

// Inputs 0 and 1 spike together. With 2 bits (integers -1, 0, 1; scale 1.0) plain rounding
// takes both 0.3 to 0 and the twins lose a current of 0.6; GPTQ rounds 0.3 to 0, moves the
// error onto the twin (0.6), which rounds to 1: the twins carry 1.0 instead of 0.6, an error
// of 0.4 (relative current error sqrt(0.08 / 0.98) = 0.286 against 0.429).
snn.graph @twins(%x: tensor<3xf32>) -> tensor<1xf32> attributes {dt = 1.0 : f64} {
  %y = snn.affine %x {weight = dense<[[0.3, 0.3, 1.0]]> : tensor<1x3xf32>, bias = dense<0.0> : tensor<1xf32>, input_moment = dense<[[[0.5, 0.5, 0.25, 0.5], [0.5, 0.5, 0.25, 0.5], [0.25, 0.25, 0.5, 0.5], [0.5, 0.5, 0.5, 1.0]]]> : tensor<1x4x4xf32>} : tensor<3xf32> -> tensor<1xf32>
  snn.output %y : tensor<1xf32>
}

// CHECK-LABEL: snn.graph @twins
// CHECK-SAME:    snn.approximations = [{pass = "snn-quantize", bits = 2 : i64, {{.*}}, current_error = 0.28571{{[0-9]+}} : f64}]} {
// CHECK-NEXT:    %y = snn.affine %x {weight = dense<{{\[\[}}0.000000e+00, 1.000000e+00, 1.000000e+00]]> : tensor<1x3xf32>, bias = dense<0.000000e+00> : tensor<1xf32>, input_moment = {{.*}}, weight_scale = dense<1.000000e+00> : tensor<1xf32>, weight_bits = 2 : i64}

// PLAIN-LABEL: snn.graph @twins
// PLAIN:         %y = snn.affine %x {weight = dense<{{\[\[}}0.000000e+00, 0.000000e+00, 1.000000e+00]]> : tensor<1x3xf32>

// DAMPING: snn-quantize{calibrated=true}: damping must be > 0, got 0.0

// Options out of range are diagnostics that name the pass and the problem.
// RUN: xdsl-opt %s -p 'snn-quantize{bits=1}' --verify-diagnostics | filecheck %s --check-prefix=LOW
// RUN: xdsl-opt %s -p 'snn-quantize{bits=17}' --verify-diagnostics | filecheck %s --check-prefix=HIGH
// RUN: xdsl-opt %s -p 'snn-quantize{param_bits=1}' --verify-diagnostics | filecheck %s --check-prefix=PARAM
// RUN: xdsl-opt %s -p 'snn-quantize{param_bits=25}' --verify-diagnostics | filecheck %s --check-prefix=PARAM25
// An integer option refuses a float.
// RUN: not xdsl-opt %s -p 'snn-quantize{bits=8.0}' 2>&1 | filecheck %s --check-prefix=FLOAT

// LOW:     snn-quantize: bits must lie in [2, 16], got 1
// HIGH:    snn-quantize: bits must lie in [2, 16], got 17
// PARAM:   snn-quantize: param_bits must be 0 (off) or lie in [2, 24], got 1
// PARAM25: snn-quantize: param_bits must be 0 (off) or lie in [2, 24], got 25
// FLOAT:   Incompatible types

snn.graph @net(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.0 : f64} {
  %y = snn.linear %x {weight = dense<[[0.5, -1.0]]> : tensor<1x2xf32>} : tensor<2xf32> -> tensor<1xf32>
  snn.output %y : tensor<1xf32>
}

// RUN: not xdsl-opt %s -p convert-snn-to-linalg --split-input-file 2>&1 | filecheck %s

// An op the pass does not know is refused by name, and nothing is printed.

snn.graph @foreign(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.000000e-03 : f64} {
  %c = arith.constant dense<1.0> : tensor<2xf32>
  %y = snn.add %x, %c : tensor<2xf32>
  snn.output %y : tensor<2xf32>
}

// CHECK: convert-snn-to-linalg: arith.constant: no lowering to linalg for this op
// CHECK-NOT: func.func

// -----

// RUN: not xdsl-opt %s -p 'convert-snn-to-linalg{batch=0}' 2>&1 | filecheck %s --check-prefix=BATCH
// BATCH: convert-snn-to-linalg: batch must be >= 1, got 0

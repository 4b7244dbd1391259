// A synapse without a profile cannot be rounded with compensation.
// RUN: xdsl-opt %s -p 'snn-quantize{calibrated=true}' --verify-diagnostics | filecheck %s
snn.graph @unprofiled(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.0 : f64} {
  %y = snn.linear %x {weight = dense<[[0.5, -1.0]]> : tensor<1x2xf32>} : tensor<2xf32> -> tensor<1xf32>
  snn.output %y : tensor<1xf32>
}

// CHECK: snn-quantize{calibrated=true}: snn.linear %y has no calibration statistics (input_moment); run `snn-opt profile net --input cal.npz -o net.mlir` (or snn_dialect.profile) first

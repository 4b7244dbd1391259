// RUN: xdsl-opt %s -p snn-fuse --split-input-file | filecheck %s

// Two delays in a row: one delay by the summed steps of each element (dt = 1e-4 s).
snn.graph @delay_delay(%x: tensor<3xf32>) -> tensor<3xf32> attributes {dt = 1.0e-04 : f64} {
  %d1 = snn.delay %x {delay = dense<[1.0e-04, 0.0, 2.0e-04]> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
  %d2 = snn.delay %d1 {delay = dense<[2.0e-04, 1.0e-04, 0.0]> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
  snn.output %d2 : tensor<3xf32>
}

// CHECK-LABEL: @delay_delay
// CHECK-NEXT:    %d2 = snn.delay %x {delay = dense<[3.000000e-04, 1.000000e-04, 2.000000e-04]> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
// CHECK-NEXT:    snn.output %d2 : tensor<3xf32>

// -----

// Delays are whole steps: 0.6 and 0.7 steps round to one step each, two in all (not 1.3 -> 1).
snn.graph @delay_rounding(%x: tensor<1xf32>) -> tensor<1xf32> attributes {dt = 1.0e-04 : f64} {
  %d1 = snn.delay %x {delay = dense<6.0e-05> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
  %d2 = snn.delay %d1 {delay = dense<7.0e-05> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
  snn.output %d2 : tensor<1xf32>
}

// CHECK-LABEL: @delay_rounding
// CHECK-NEXT:    %d2 = snn.delay %x {delay = dense<2.000000e-04> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
// CHECK-NEXT:    snn.output %d2 : tensor<1xf32>

// -----

// Must not change: the first delay's result is also a graph output.
snn.graph @delay_shared(%x: tensor<1xf32>) -> (tensor<1xf32>, tensor<1xf32>) attributes {dt = 1.0e-04 : f64} {
  %d1 = snn.delay %x {delay = dense<1.0e-04> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
  %d2 = snn.delay %d1 {delay = dense<2.0e-04> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
  snn.output %d1, %d2 : tensor<1xf32>, tensor<1xf32>
}

// CHECK-LABEL: @delay_shared
// CHECK-NEXT:    %d1 = snn.delay %x
// CHECK-NEXT:    %d2 = snn.delay %d1
// CHECK-NEXT:    snn.output %d1, %d2 : tensor<1xf32>, tensor<1xf32>

snn.graph @g(%x: tensor<2xf32>) -> tensor<3xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.linear %x {weight = dense<1.0> : tensor<3x4xf32>} : tensor<2xf32> -> tensor<3xf32>
  snn.output %y : tensor<3xf32>
}

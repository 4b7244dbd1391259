snn.graph @g(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.linear %x {weight = dense<[[1.0, 0.5], [0.25, 0.0]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %y : tensor<2xf32>
}
snn.graph @h(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.linear %x {weight = dense<[[1.0, 0.5], [0.25, 0.0]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %y : tensor<2xf32>
}

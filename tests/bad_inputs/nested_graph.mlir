snn.graph @outer(%x: tensor<1xf32>) -> tensor<1xf32> attributes {dt = 1.0e-04 : f64} {
  snn.graph @inner(%y: tensor<1xf32>) -> tensor<1xf32> attributes {dt = 1.0e-04 : f64} {
    snn.output %y : tensor<1xf32>
  }
  snn.output %x : tensor<1xf32>
}

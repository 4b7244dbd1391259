snn.graph @g(%x: tensor<1xf32>) -> tensor<1xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.linear %x {weight = dense<"0x0000C07F"> : tensor<1x1xf32>} : tensor<1xf32> -> tensor<1xf32>
  snn.output %y : tensor<1xf32>
}

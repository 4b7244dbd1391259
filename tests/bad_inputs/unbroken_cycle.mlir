snn.graph @g(%x: tensor<1xf32>) -> tensor<1xf32> attributes {dt = 1.0e-04 : f64} {
  %s = snn.add %x, %y : tensor<1xf32>
  %y = snn.lif %s {tau = dense<1.0e-2> : tensor<1xf32>, r = dense<1.0> : tensor<1xf32>, v_leak = dense<0.0> : tensor<1xf32>, v_threshold = dense<1.0> : tensor<1xf32>, v_reset = dense<0.0> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
  snn.output %y : tensor<1xf32>
}

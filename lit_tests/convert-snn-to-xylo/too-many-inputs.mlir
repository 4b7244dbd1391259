// A network that does not fit Xylo Audio 2 fails with one line naming the op and the limit.
// RUN: not xdsl-opt %s -p convert-snn-to-xylo 2>&1 | filecheck %s
// CHECK: convert-snn-to-xylo: snn.graph @wide: input has 17 channels, Xylo Audio 2 has 16 (exceeded by 1)
snn.graph @wide(%x: tensor<17xf32>) -> tensor<1xf32> attributes {dt = 1.0e-03 : f64} {
  %in = snn.linear %x {weight = dense<0.5> : tensor<1x17xf32>} : tensor<17xf32> -> tensor<1xf32>
  %h = snn.cuba_lif %in {tau_syn = dense<4.0e-03> : tensor<1xf32>, tau_mem = dense<8.0e-03> : tensor<1xf32>, r = dense<1.0> : tensor<1xf32>, v_leak = dense<0.0> : tensor<1xf32>, v_threshold = dense<1.0> : tensor<1xf32>, v_reset = dense<0.0> : tensor<1xf32>, w_in = dense<1.0> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
  %o = snn.linear %h {weight = dense<1.0> : tensor<1x1xf32>} : tensor<1xf32> -> tensor<1xf32>
  %y = snn.cuba_lif %o {tau_syn = dense<4.0e-03> : tensor<1xf32>, tau_mem = dense<8.0e-03> : tensor<1xf32>, r = dense<1.0> : tensor<1xf32>, v_leak = dense<0.0> : tensor<1xf32>, v_threshold = dense<1.0> : tensor<1xf32>, v_reset = dense<0.0> : tensor<1xf32>, w_in = dense<1.0> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
  snn.output %y : tensor<1xf32>
}

// RUN: xdsl-opt %s -p snn-dead-neuron | filecheck %s
// RUN: xdsl-opt %s -p 'snn-dead-neuron{rate_threshold=0.05}' | filecheck %s --check-prefix=THRESH
// RUN: xdsl-opt %s -p 'snn-dead-neuron{use_profile=false}' | filecheck %s --check-prefix=EXACT

// Profiled rates: neuron 1 never fired, neuron 2 fired at 1%. By default (rate_threshold
// 0.0) only neuron 1 goes; at 0.05 both go; without the profile nothing is provably dead.
snn.graph @profiled(%x: tensor<1xf32>) -> tensor<1xf32> attributes {dt = 1.0e-03 : f64} {
  %a = snn.linear %x {weight = dense<[[1.0], [2.0], [3.0]]> : tensor<3x1xf32>} : tensor<1xf32> -> tensor<3xf32>
  %s = snn.lif %a {tau = dense<5.0e-3> : tensor<3xf32>, r = dense<1.0> : tensor<3xf32>, v_leak = dense<0.0> : tensor<3xf32>, v_threshold = dense<1.0> : tensor<3xf32>, v_reset = dense<0.0> : tensor<3xf32>, firing_rates = dense<[0.3, 0.0, 0.01]> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
  %o = snn.linear %s {weight = dense<[[4.0, 5.0, 6.0]]> : tensor<1x3xf32>} : tensor<3xf32> -> tensor<1xf32>
  snn.output %o : tensor<1xf32>
}

// CHECK:       %a = snn.linear %x {weight = dense<{{\[\[}}1.000000e+00], [3.000000e+00]]> : tensor<2x1xf32>}
// CHECK-NEXT:  %s = snn.lif %a {{{.*}}firing_rates = dense<[3.000000e-01, 1.000000e-02]> : tensor<2xf32>}
// CHECK-NEXT:  %o = snn.linear %s {weight = dense<{{\[\[}}4.000000e+00, 6.000000e+00]]> : tensor<1x2xf32>}

// THRESH:      %a = snn.linear %x {weight = dense<1.000000e+00> : tensor<1x1xf32>}
// THRESH-NEXT: %s = snn.lif %a {{{.*}}firing_rates = dense<3.000000e-01> : tensor<1xf32>}
// THRESH-NEXT: %o = snn.linear %s {weight = dense<4.000000e+00> : tensor<1x1xf32>}

// EXACT:       %a = snn.linear %x {{.*}} : tensor<1xf32> -> tensor<3xf32>
// EXACT-NEXT:  %s = snn.lif %a {{.*}} : tensor<3xf32> -> tensor<3xf32>

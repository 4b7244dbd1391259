// RUN: xdsl-opt %s -p snn-fuse | filecheck %s
// RUN: xdsl-opt %s -p 'snn-fuse{spike_inputs=true}' | filecheck %s --check-prefix=SPIKES

// Driven straight by the graph input, the layer may fire on arbitrary inputs (unchanged by
// default); with spike_inputs=true the input is in [0, 1], the drive stays below 0.002 and
// the layer cannot reach its threshold of 20, so its consumer sees zeros.
snn.graph @input_driven(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.0e-04 : f64} {
  %h = snn.linear %x {weight = dense<0.001> : tensor<1x2xf32>} : tensor<2xf32> -> tensor<1xf32>
  %s = snn.lif %h {tau = dense<2.0e-02> : tensor<1xf32>, r = dense<1.0> : tensor<1xf32>, v_leak = dense<0.0> : tensor<1xf32>, v_threshold = dense<20.0> : tensor<1xf32>, v_reset = dense<0.0> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
  %y = snn.linear %s {weight = dense<3.0> : tensor<1x1xf32>} : tensor<1xf32> -> tensor<1xf32>
  snn.output %y : tensor<1xf32>
}

// CHECK-LABEL: @input_driven
// CHECK-NEXT:    %h = snn.linear %x
// CHECK-NEXT:    %s = snn.lif %h
// CHECK-NEXT:    %y = snn.linear %s {weight = dense<3.000000e+00> : tensor<1x1xf32>}
// CHECK-NEXT:    snn.output %y : tensor<1xf32>

// SPIKES-LABEL: @input_driven
// SPIKES-NEXT:    %h = snn.linear %x
// SPIKES-NEXT:    %s = snn.lif %h
// SPIKES-NEXT:    %y = snn.linear %s {weight = dense<0.000000e+00> : tensor<1x1xf32>}
// SPIKES-NEXT:    snn.output %y : tensor<1xf32>

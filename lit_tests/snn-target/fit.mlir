// The fit check leaves a module that fits unchanged; a module that does not fit fails with
// one line naming the op, the limit, by how much it is exceeded and the pass that would help.
// RUN: xdsl-opt %s --split-input-file -p 'snn-target{chip=xylo-audio2}' --verify-diagnostics | filecheck %s
// RUN: xdsl-opt %s --split-input-file -p 'snn-target{chip=xylo-imu report_only=true}' 2>&1 >/dev/null | filecheck %s --check-prefix=REPORT

// A 2-3-2 network with 8-bit weights fits: the module is printed unchanged.
// CHECK-LABEL: snn.graph @fits
// CHECK-NEXT:    %h = snn.linear %x
// REPORT-LABEL: fit of @fits on SynSense Xylo IMU (SYNS63300) (xylo-imu):
// REPORT:         SNN core: hidden: %s (snn.lif #0, 3), readout: %o (snn.lif #1, 2)
// REPORT-NEXT:      graph input channels: 2 / 16 (12%)  at x [2]
// REPORT-NEXT:      hidden neurons: 3 / 496 (1%)
// REPORT-NEXT:      output (readout) neurons: 2 / 16 (12%)
// REPORT:           nonzero outgoing hidden weights of one neuron: 0 / 512 (0%)
// REPORT:           bits of a weight (signed): 8 / 8 (100%)  at %h (snn.linear #0, 3x2)
// REPORT:         FITS: @fits fits xylo-imu
snn.graph @fits(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-03 : f64} {
  %h = snn.linear %x {weight = dense<[[1.0, -2.0], [0.5, 0.0], [3.0, 1.0]]> : tensor<3x2xf32>, weight_scale = dense<0.5> : tensor<1xf32>, weight_bits = 8 : i64} : tensor<2xf32> -> tensor<3xf32>
  %s = snn.lif %h {tau = dense<2.0e-02> : tensor<3xf32>, r = dense<1.0> : tensor<3xf32>, v_leak = dense<0.0> : tensor<3xf32>, v_threshold = dense<1.0> : tensor<3xf32>, v_reset = dense<0.0> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
  %y = snn.linear %s {weight = dense<[[1.0, 0.5, 0.0], [0.0, -1.0, 2.0]]> : tensor<2x3xf32>, weight_scale = dense<0.5> : tensor<1xf32>, weight_bits = 8 : i64} : tensor<3xf32> -> tensor<2xf32>
  %o = snn.lif %y {tau = dense<2.0e-02> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %o : tensor<2xf32>
}

// -----

// 17 input channels: one more than Xylo has.
// CHECK: snn-target: @too_many_inputs does not fit xylo-audio2: @too_many_inputs inputs: graph input channels 17 > 16 (exceeded by 1 channels)
// REPORT-LABEL: fit of @too_many_inputs
// REPORT:         graph input channels: 17 / 16 (106%)  at x [17]  OVER
// REPORT:         DOES NOT FIT: @too_many_inputs does not fit xylo-imu: @too_many_inputs inputs: graph input channels 17 > 16 (exceeded by 1 channels)
snn.graph @too_many_inputs(%x: tensor<17xf32>) -> tensor<1xf32> attributes {dt = 1.0e-03 : f64} {
  %h = snn.linear %x {weight = dense<1.0> : tensor<1x17xf32>, weight_scale = dense<1.0> : tensor<1xf32>, weight_bits = 8 : i64} : tensor<17xf32> -> tensor<1xf32>
  %s = snn.lif %h {tau = dense<2.0e-02> : tensor<1xf32>, r = dense<1.0> : tensor<1xf32>, v_leak = dense<0.0> : tensor<1xf32>, v_threshold = dense<1.0> : tensor<1xf32>, v_reset = dense<0.0> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
  %y = snn.linear %s {weight = dense<1.0> : tensor<1x1xf32>, weight_scale = dense<1.0> : tensor<1xf32>, weight_bits = 8 : i64} : tensor<1xf32> -> tensor<1xf32>
  %o = snn.lif %y {tau = dense<2.0e-02> : tensor<1xf32>, r = dense<1.0> : tensor<1xf32>, v_leak = dense<0.0> : tensor<1xf32>, v_threshold = dense<1.0> : tensor<1xf32>, v_reset = dense<0.0> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
  snn.output %o : tensor<1xf32>
}

// -----

// f32 weights: the fix is snn-quantize with the chip's bits.
// CHECK: snn-target: @float_weights does not fit xylo-audio2: %h (snn.linear #0, 1x2): weights are f32, not 8-bit integers; snn-quantize{bits=8} (and 1 more violation)
snn.graph @float_weights(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.0e-03 : f64} {
  %h = snn.linear %x {weight = dense<[[0.3, 0.7]]> : tensor<1x2xf32>} : tensor<2xf32> -> tensor<1xf32>
  %s = snn.lif %h {tau = dense<2.0e-02> : tensor<1xf32>, r = dense<1.0> : tensor<1xf32>, v_leak = dense<0.0> : tensor<1xf32>, v_threshold = dense<1.0> : tensor<1xf32>, v_reset = dense<0.0> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
  %y = snn.linear %s {weight = dense<1.0> : tensor<1x1xf32>} : tensor<1xf32> -> tensor<1xf32>
  %o = snn.lif %y {tau = dense<2.0e-02> : tensor<1xf32>, r = dense<1.0> : tensor<1xf32>, v_leak = dense<0.0> : tensor<1xf32>, v_threshold = dense<1.0> : tensor<1xf32>, v_reset = dense<0.0> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
  snn.output %o : tensor<1xf32>
}

// -----

// A readout neuron that feeds itself back: Xylo's readout neurons may not be recurrent.
// CHECK: snn-target: @recurrent_readout does not fit xylo-audio2: %w (snn.linear #2, 1x1): readout neurons send spikes on (recurrent or to other neurons); readout neurons may only drive graph outputs
snn.graph @recurrent_readout(%x: tensor<1xf32>) -> tensor<1xf32> attributes {dt = 1.0e-03 : f64} {
  %h = snn.linear %x {weight = dense<1.0> : tensor<1x1xf32>, weight_scale = dense<1.0> : tensor<1xf32>, weight_bits = 8 : i64} : tensor<1xf32> -> tensor<1xf32>
  %s = snn.lif %h {tau = dense<2.0e-02> : tensor<1xf32>, r = dense<1.0> : tensor<1xf32>, v_leak = dense<0.0> : tensor<1xf32>, v_threshold = dense<1.0> : tensor<1xf32>, v_reset = dense<0.0> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
  %y = snn.linear %s {weight = dense<1.0> : tensor<1x1xf32>, weight_scale = dense<1.0> : tensor<1xf32>, weight_bits = 8 : i64} : tensor<1xf32> -> tensor<1xf32>
  %r = snn.recurrent %o : tensor<1xf32> -> tensor<1xf32>
  %w = snn.linear %r {weight = dense<1.0> : tensor<1x1xf32>, weight_scale = dense<1.0> : tensor<1xf32>, weight_bits = 8 : i64} : tensor<1xf32> -> tensor<1xf32>
  %sum = snn.add %y, %w : tensor<1xf32>
  %o = snn.lif %sum {tau = dense<2.0e-02> : tensor<1xf32>, r = dense<1.0> : tensor<1xf32>, v_leak = dense<0.0> : tensor<1xf32>, v_threshold = dense<1.0> : tensor<1xf32>, v_reset = dense<0.0> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
  snn.output %o : tensor<1xf32>
}

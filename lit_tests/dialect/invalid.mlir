// Every verifier of the snn dialect rejects what it must, with a diagnostic that names the op
// (or the graph) and the problem. Each case is its own module; none of them may verify.
//
// RUN: %verify-diagnostics
// RUN: %verify-diagnostics --check-prefix=NONE-VALID
// NONE-VALID-NOT: builtin.module {
//
// Without --verify-diagnostics the first invalid module makes xdsl-opt fail.
// RUN: not xdsl-opt %s --split-input-file 2>&1 | filecheck %s --check-prefix=EXIT
// EXIT: snn.linear: 'weight' has shape [3, 4] but [3, 2] is expected

// A weight that does not match [n_out, n_in].
snn.graph @linear_weight_shape(%x: tensor<2xf32>) -> tensor<3xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.linear %x {weight = dense<1.0> : tensor<3x4xf32>} : tensor<2xf32> -> tensor<3xf32>
  snn.output %y : tensor<3xf32>
}

// CHECK:      snn.linear: 'weight' has shape [3, 4] but [3, 2] is expected
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "linear_weight_shape",

// -----

// A bias that does not match the result.
snn.graph @affine_bias_shape(%x: tensor<2xf32>) -> tensor<3xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.affine %x {weight = dense<1.0> : tensor<3x2xf32>, bias = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<3xf32>
  snn.output %y : tensor<3xf32>
}

// CHECK:      snn.affine: 'bias' has shape [2] but [3] is expected
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "affine_bias_shape",

// -----

// Dense layers produce vectors.
snn.graph @linear_result_rank(%x: tensor<2xf32>) -> tensor<3x1xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.linear %x {weight = dense<1.0> : tensor<3x2xf32>} : tensor<2xf32> -> tensor<3x1xf32>
  snn.output %y : tensor<3x1xf32>
}

// CHECK:      snn.linear: result must be a vector, got tensor<3x1xf32>
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "linear_result_rank",

// -----

// Weights are f32.
snn.graph @weight_not_f32(%x: tensor<2xf32>) -> tensor<3xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.linear %x {weight = dense<1> : tensor<3x2xi32>} : tensor<2xf32> -> tensor<3xf32>
  snn.output %y : tensor<3xf32>
}

// CHECK:      snn.linear: 'weight' must hold f32 elements, got i32
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "weight_not_f32",

// -----

// NaN (0x7FC00000, low byte first: 0000C07F) as the second weight. xDSL 0.74 reads a
// bare 0x7FC00000 inside a decimal list as the integer 2143289344, so raw bytes it is.
snn.graph @nan_weight(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.linear %x {weight = dense<"0x0000803F0000C07F"> : tensor<1x2xf32>} : tensor<2xf32> -> tensor<1xf32>
  snn.output %y : tensor<1xf32>
}

// CHECK:      snn.linear: 'weight' holds a NaN or infinite value (element 1)
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "nan_weight",

// -----

// +inf (0x7F800000) as a splat bias of a convolution.
snn.graph @inf_bias(%x: tensor<1x4xf32>) -> tensor<2x4xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.conv1d %x {weight = dense<1.0> : tensor<2x1x1xf32>, bias = dense<"0x0000807F"> : tensor<2xf32>, stride = array<i64: 1>, padding = array<i64: 0>, dilation = array<i64: 1>, groups = 1 : i64} : tensor<1x4xf32> -> tensor<2x4xf32>
  snn.output %y : tensor<2x4xf32>
}

// CHECK:      snn.conv1d: 'bias' holds a NaN or infinite value (element 0)
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "inf_bias",

// -----

// -inf (0xFF800000) as a neuron parameter.
snn.graph @inf_threshold(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %s = snn.threshold %x {threshold = dense<"0x0000803F000080FF"> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %s : tensor<2xf32>
}

// CHECK:      snn.threshold: 'threshold' holds a NaN or infinite value (element 1)
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "inf_threshold",

// -----

// Firing rates are spikes per step: at most 1.
snn.graph @rates_above_one(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %s = snn.threshold %x {threshold = dense<0.5> : tensor<2xf32>, firing_rates = dense<[0.5, 1.5]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %s : tensor<2xf32>
}

// CHECK:      snn.threshold: 'firing_rates' must lie in [0, 1], element 1 is 1.5
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "rates_above_one",

// -----

// Firing rates are never negative.
snn.graph @rates_negative(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %s = snn.threshold %x {threshold = dense<0.5> : tensor<2xf32>, firing_rates = dense<[-0.25, 0.5]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %s : tensor<2xf32>
}

// CHECK:      snn.threshold: 'firing_rates' must lie in [0, 1], element 0 is -0.25
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "rates_negative",

// -----

// A NaN firing rate.
snn.graph @rates_nan(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %s = snn.threshold %x {threshold = dense<0.5> : tensor<2xf32>, firing_rates = dense<"0x0000C07F"> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %s : tensor<2xf32>
}

// CHECK:      snn.threshold: 'firing_rates' holds a NaN or infinite value (element 0)
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "rates_nan",

// -----

// One firing rate per neuron.
snn.graph @rates_shape(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %s = snn.threshold %x {threshold = dense<0.5> : tensor<2xf32>, firing_rates = dense<0.5> : tensor<3xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %s : tensor<2xf32>
}

// CHECK:      snn.threshold: 'firing_rates' has shape [3] but [2] is expected
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "rates_shape",

// -----

// Firing rates measured on no sample at all.
snn.graph @profile_samples_zero(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %s = snn.threshold %x {threshold = dense<0.5> : tensor<2xf32>, firing_rates = dense<0.5> : tensor<2xf32>, profile_samples = 0 : i64, profile_steps = 10 : i64} : tensor<2xf32> -> tensor<2xf32>
  snn.output %s : tensor<2xf32>
}

// CHECK:      snn.threshold: 'profile_samples' must be >= 1, got 0
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "profile_samples_zero",

// -----

// Time constants are positive: LI.
snn.graph @tau_zero(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %v = snn.li %x {tau = dense<[1.0e-02, 0.0]> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %v : tensor<2xf32>
}

// CHECK:      snn.li: 'tau' must be positive, element 1 is 0
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "tau_zero",

// -----

// Time constants are positive: CubaLIF membrane.
snn.graph @tau_mem_negative(%x: tensor<1xf32>) -> tensor<1xf32> attributes {dt = 1.0e-04 : f64} {
  %s = snn.cuba_lif %x {tau_syn = dense<5.0e-03> : tensor<1xf32>, tau_mem = dense<-2.0e-02> : tensor<1xf32>, r = dense<1.0> : tensor<1xf32>, v_leak = dense<0.0> : tensor<1xf32>, v_threshold = dense<1.0> : tensor<1xf32>, v_reset = dense<0.0> : tensor<1xf32>, w_in = dense<1.0> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
  snn.output %s : tensor<1xf32>
}

// CHECK:      snn.cuba_lif: 'tau_mem' must be positive, element 0 is -0.02
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "tau_mem_negative",

// -----

// Time constants are positive: CubaLI synapse.
snn.graph @tau_syn_negative(%x: tensor<1xf32>) -> tensor<1xf32> attributes {dt = 1.0e-04 : f64} {
  %v = snn.cuba_li %x {tau_syn = dense<-1.0e-03> : tensor<1xf32>, tau_mem = dense<1.0e-02> : tensor<1xf32>, r = dense<1.0> : tensor<1xf32>, v_leak = dense<0.0> : tensor<1xf32>, w_in = dense<1.0> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
  snn.output %v : tensor<1xf32>
}

// CHECK:      snn.cuba_li: 'tau_syn' must be positive, element 0 is -0.001
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "tau_syn_negative",

// -----

// IF needs v_threshold.
snn.graph @missing_param(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %s = snn.if %x {r = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %s : tensor<2xf32>
}

// CHECK:      property 'v_threshold' expected in operation 'snn.if'
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "missing_param",

// -----

// Parameters are shaped like the neurons.
snn.graph @lif_param_shape(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %s = snn.lif %x {tau = dense<1.0e-02> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2x1xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %s : tensor<2xf32>
}

// CHECK:      snn.lif: 'v_threshold' has shape [2, 1] but [2] is expected
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "lif_param_shape",

// -----

// A neuron op keeps its input's type.
snn.graph @neuron_result_type(%x: tensor<2xf32>) -> tensor<3xf32> attributes {dt = 1.0e-04 : f64} {
  %v = snn.integrator %x {r = dense<1.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<3xf32>
  snn.output %v : tensor<3xf32>
}

// CHECK:      snn.integrator: result type tensor<3xf32> must equal input type tensor<2xf32>
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "neuron_result_type",

// -----

// A cycle without snn.recurrent.
snn.graph @unbroken_cycle(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %a = snn.add %x, %s : tensor<2xf32>
  %s = snn.threshold %a {threshold = dense<0.5> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %s : tensor<2xf32>
}

// CHECK:      snn.graph @unbroken_cycle: cycle through snn.add (%a) is not broken by snn.recurrent
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "unbroken_cycle",

// -----

// The op named is on the cycle, not merely downstream of it (%t comes first).
snn.graph @cycle_named_on_cycle(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %t = snn.threshold %s {threshold = dense<0.5> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %a = snn.add %x, %s : tensor<2xf32>
  %s = snn.scale %a {scale = dense<0.5> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %t : tensor<2xf32>
}

// CHECK:      snn.graph @cycle_named_on_cycle: cycle through snn.scale (%s) is not broken by snn.recurrent
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "cycle_named_on_cycle",

// -----

// An op that reads its own result.
snn.graph @self_loop(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %a = snn.add %x, %a : tensor<2xf32>
  snn.output %a : tensor<2xf32>
}

// CHECK:      snn.graph @self_loop: cycle through snn.add (%a) is not broken by snn.recurrent
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "self_loop",

// -----

// Output length (8 - 3) / 1 + 1 = 6, not 7.
snn.graph @conv1d_output_shape(%x: tensor<1x8xf32>) -> tensor<2x7xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.conv1d %x {weight = dense<1.0> : tensor<2x1x3xf32>, bias = dense<0.0> : tensor<2xf32>, stride = array<i64: 1>, padding = array<i64: 0>, dilation = array<i64: 1>, groups = 1 : i64} : tensor<1x8xf32> -> tensor<2x7xf32>
  snn.output %y : tensor<2x7xf32>
}

// CHECK:      snn.conv1d: result spatial shape [7] does not match the input and window ([6])
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "conv1d_output_shape",

// -----

// The weight has 4 output channels, the result 2.
snn.graph @conv2d_output_channels(%x: tensor<2x4x4xf32>) -> tensor<2x4x4xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.conv2d %x {weight = dense<1.0> : tensor<4x2x1x1xf32>, bias = dense<0.0> : tensor<2xf32>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : tensor<2x4x4xf32> -> tensor<2x4x4xf32>
  snn.output %y : tensor<2x4x4xf32>
}

// CHECK:      snn.conv2d: 'weight' has shape [4, 2, 1, 1] but [2, 2, 1, 1] is expected
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "conv2d_output_channels",

// -----

// groups must divide both channel counts.
snn.graph @conv2d_groups_divide(%x: tensor<3x4x4xf32>) -> tensor<2x4x4xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.conv2d %x {weight = dense<1.0> : tensor<2x1x1x1xf32>, bias = dense<0.0> : tensor<2xf32>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, groups = 2 : i64} : tensor<3x4x4xf32> -> tensor<2x4x4xf32>
  snn.output %y : tensor<2x4x4xf32>
}

// CHECK:      snn.conv2d: groups=2 must divide input (3) and output (2) channels
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "conv2d_groups_divide",

// -----

// groups is at least 1.
snn.graph @conv2d_groups_zero(%x: tensor<2x4x4xf32>) -> tensor<2x4x4xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.conv2d %x {weight = dense<1.0> : tensor<2x1x1x1xf32>, bias = dense<0.0> : tensor<2xf32>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, groups = 0 : i64} : tensor<2x4x4xf32> -> tensor<2x4x4xf32>
  snn.output %y : tensor<2x4x4xf32>
}

// CHECK:      snn.conv2d: groups must be >= 1, got 0
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "conv2d_groups_zero",

// -----

// With groups = 2 each filter reads C_in / 2 = 1 channel, not 2.
snn.graph @conv2d_grouped_weight(%x: tensor<2x4x4xf32>) -> tensor<2x4x4xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.conv2d %x {weight = dense<1.0> : tensor<2x2x1x1xf32>, bias = dense<0.0> : tensor<2xf32>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, groups = 2 : i64} : tensor<2x4x4xf32> -> tensor<2x4x4xf32>
  snn.output %y : tensor<2x4x4xf32>
}

// CHECK:      snn.conv2d: 'weight' has shape [2, 2, 1, 1] but [2, 1, 1, 1] is expected
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "conv2d_grouped_weight",

// -----

// A zero stride.
snn.graph @conv1d_stride_zero(%x: tensor<1x8xf32>) -> tensor<2x6xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.conv1d %x {weight = dense<1.0> : tensor<2x1x3xf32>, bias = dense<0.0> : tensor<2xf32>, stride = array<i64: 0>, padding = array<i64: 0>, dilation = array<i64: 1>, groups = 1 : i64} : tensor<1x8xf32> -> tensor<2x6xf32>
  snn.output %y : tensor<2x6xf32>
}

// CHECK:      snn.conv1d: stride [0] and dilation [1] must be >= 1, padding [0] >= 0
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "conv1d_stride_zero",

// -----

// A 1-D convolution with two strides.
snn.graph @conv1d_window_arity(%x: tensor<1x8xf32>) -> tensor<2x6xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.conv1d %x {weight = dense<1.0> : tensor<2x1x3xf32>, bias = dense<0.0> : tensor<2xf32>, stride = array<i64: 1, 1>, padding = array<i64: 0>, dilation = array<i64: 1>, groups = 1 : i64} : tensor<1x8xf32> -> tensor<2x6xf32>
  snn.output %y : tensor<2x6xf32>
}

// CHECK:      snn.conv1d: 'stride' needs 1 value(s), one per spatial axis, got 2
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "conv1d_window_arity",

// -----

// conv2d reads [C, H, W].
snn.graph @conv2d_rank(%x: tensor<1x8xf32>) -> tensor<2x8xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.conv2d %x {weight = dense<1.0> : tensor<2x1x1x1xf32>, bias = dense<0.0> : tensor<2xf32>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : tensor<1x8xf32> -> tensor<2x8xf32>
  snn.output %y : tensor<2x8xf32>
}

// CHECK:      snn.conv2d: input and result must have rank 3 ([C, ...])
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "conv2d_rank",

// -----

// A 2x2 window with stride 2 halves 4x4 to 2x2.
snn.graph @sum_pool_output_shape(%x: tensor<2x4x4xf32>) -> tensor<2x3x3xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.sum_pool2d %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<2x4x4xf32> -> tensor<2x3x3xf32>
  snn.output %y : tensor<2x3x3xf32>
}

// CHECK:      snn.sum_pool2d: result shape [2, 3, 3] should be [2, 2, 2]
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "sum_pool_output_shape",

// -----

// Pooling keeps the channels.
snn.graph @avg_pool_channels(%x: tensor<2x4x4xf32>) -> tensor<3x2x2xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.avg_pool2d %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<2x4x4xf32> -> tensor<3x2x2xf32>
  snn.output %y : tensor<3x2x2xf32>
}

// CHECK:      snn.avg_pool2d: result shape [3, 2, 2] should be [2, 2, 2]
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "avg_pool_channels",

// -----

// Pooling reads [C, H, W].
snn.graph @avg_pool_rank(%x: tensor<2x4xf32>) -> tensor<2x2xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.avg_pool2d %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<2x4xf32> -> tensor<2x2xf32>
  snn.output %y : tensor<2x2xf32>
}

// CHECK:      snn.avg_pool2d: input and result must be [C, H, W]
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "avg_pool_rank",

// -----

// An empty window.
snn.graph @pool_kernel_zero(%x: tensor<2x4x4xf32>) -> tensor<2x2x2xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.sum_pool2d %x {kernel_size = array<i64: 0, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<2x4x4xf32> -> tensor<2x2x2xf32>
  snn.output %y : tensor<2x2x2xf32>
}

// CHECK:      snn.sum_pool2d: kernel_size [0, 2] and stride [2, 2] must be >= 1, padding [0, 0] >= 0
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "pool_kernel_zero",

// -----

// Flattening axes 1..2 of 2x3x4 gives 2x12.
snn.graph @flatten_shape(%x: tensor<2x3x4xf32>) -> tensor<6x4xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.flatten %x {start_dim = 1 : i64, end_dim = 2 : i64} : tensor<2x3x4xf32> -> tensor<6x4xf32>
  snn.output %y : tensor<6x4xf32>
}

// CHECK:      snn.flatten: result shape [6, 4] should be [2, 12]
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "flatten_shape",

// -----

// end_dim beyond the input's rank.
snn.graph @flatten_dims(%x: tensor<2x3xf32>) -> tensor<6xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.flatten %x {start_dim = 0 : i64, end_dim = 2 : i64} : tensor<2x3xf32> -> tensor<6xf32>
  snn.output %y : tensor<6xf32>
}

// CHECK:      snn.flatten: start_dim=0, end_dim=2 do not select axes of a rank-2 input
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "flatten_dims",

// -----

// Operands of different types (only the generic form can say this).
snn.graph @add_operand_types(%x: tensor<2xf32>, %z: tensor<3xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %a = "snn.add"(%x, %z) : (tensor<2xf32>, tensor<3xf32>) -> tensor<2xf32>
  snn.output %a : tensor<2xf32>
}

// CHECK:      snn.add: operand type tensor<3xf32> differs from result type tensor<2xf32>
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "add_operand_types",

// -----

// A sum of one value is not an add.
snn.graph @add_one_operand(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %a = snn.add %x : tensor<2xf32>
  snn.output %a : tensor<2xf32>
}

// CHECK:      snn.add: needs at least two operands
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "add_one_operand",

// -----

// One factor per element.
snn.graph @scale_shape(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.scale %x {scale = dense<1.0> : tensor<3xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %y : tensor<2xf32>
}

// CHECK:      snn.scale: 'scale' has shape [3] but [2] is expected
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "scale_shape",

// -----

// Delays look back in time only.
snn.graph @negative_delay(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.delay %x {delay = dense<[1.0e-03, -1.0e-04]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %y : tensor<2xf32>
}

// CHECK:      snn.delay: 'delay' must be >= 0, element 1 is -0.0001
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "negative_delay",

// -----

// One delay per element.
snn.graph @delay_shape(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.delay %x {delay = dense<1.0e-03> : tensor<1xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %y : tensor<2xf32>
}

// CHECK:      snn.delay: 'delay' has shape [1] but [2] is expected
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "delay_shape",

// -----

// A recurrent edge keeps its operand's type.
snn.graph @recurrent_type(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %r = snn.recurrent %x : tensor<2xf32> -> tensor<3xf32>
  snn.output %x : tensor<2xf32>
}

// CHECK:      snn.recurrent: result type tensor<3xf32> must equal input type tensor<2xf32>
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "recurrent_type",

// -----

// snn.output returns what the graph's type promises.
snn.graph @output_types(%x: tensor<2xf32>) -> tensor<3xf32> attributes {dt = 1.0e-04 : f64} {
  snn.output %x : tensor<2xf32>
}

// CHECK:      snn.graph @output_types: snn.output types (tensor<2xf32>) do not match the function's result types (tensor<3xf32>)
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "output_types",

// -----

// The body ends with snn.output.
snn.graph @missing_output(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.scale %x {scale = dense<1.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
}

// CHECK:      Operation snn.scale terminates block in single-block region but is not a terminator

// -----

// The time step is positive.
snn.graph @dt_zero(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 0.0 : f64} {
  snn.output %x : tensor<2xf32>
}

// CHECK:      snn.graph @dt_zero: dt must be a positive finite number, got 0.0
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "dt_zero",

// -----

// Values have rank >= 1.
snn.graph @scalar_value(%x: tensor<f32>) -> tensor<f32> attributes {dt = 1.0e-04 : f64} {
  snn.output %x : tensor<f32>
}

// CHECK:      snn.graph @scalar_value: values must have rank >= 1, got tensor<f32>
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "scalar_value",

// -----

// Values have static shapes.
snn.graph @dynamic_value(%x: tensor<?xf32>) -> tensor<?xf32> attributes {dt = 1.0e-04 : f64} {
  snn.output %x : tensor<?xf32>
}

// CHECK:      snn.graph @dynamic_value: expected a statically shaped tensor, got tensor<?xf32>
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "dynamic_value",

// -----

// Values hold f32.
snn.graph @integer_value(%x: tensor<2xi32>) -> tensor<2xi32> attributes {dt = 1.0e-04 : f64} {
  snn.output %x : tensor<2xi32>
}

// CHECK:      snn.graph @integer_value: values must hold f32 elements, got tensor<2xi32>
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "integer_value",

// -----

// Block arguments follow the function type (only the generic form can break this).
"snn.graph"() <{sym_name = "block_arguments", function_type = (tensor<2xf32>) -> tensor<2xf32>, dt = 1.0e-04 : f64}> ({
^bb0(%x: tensor<3xf32>):
  "snn.output"(%x) : (tensor<3xf32>) -> ()
}) : () -> ()

// CHECK:      snn.graph @block_arguments: block argument types (tensor<3xf32>) do not match the function's input types (tensor<2xf32>)
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "block_arguments",

// -----

// A graph inside another graph (snn-optimize would otherwise drop it silently).
snn.graph @outer(%x: tensor<1xf32>) -> tensor<1xf32> attributes {dt = 1.0e-04 : f64} {
  snn.graph @inner(%y: tensor<1xf32>) -> tensor<1xf32> attributes {dt = 1.0e-04 : f64} {
    snn.output %y : tensor<1xf32>
  }
  snn.output %x : tensor<1xf32>
}

// CHECK:      snn.graph @inner: must sit directly in a builtin.module, not inside snn.graph
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "outer",

// -----

// `unpruned_weights` (what structured pruning started from) below the weights the op has.
snn.graph @unpruned_too_small(%x: tensor<2xf32>) -> tensor<3xf32> attributes {dt = 1.0e-04 : f64} {
  %y = snn.linear %x {weight = dense<1.0> : tensor<3x2xf32>, unpruned_weights = 4 : i64} : tensor<2xf32> -> tensor<3xf32>
  snn.output %y : tensor<3xf32>
}

// CHECK:      snn.linear: 'unpruned_weights' must be an integer no smaller than the 6 weights the op has, got 4 : i64
// CHECK-NEXT: "builtin.module"() ({
// CHECK-NEXT:   "snn.graph"() <{sym_name = "unpruned_too_small",

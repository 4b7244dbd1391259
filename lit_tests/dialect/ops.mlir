// Round trip of every snn op: the custom form re-parses to itself, and the generic form
// (properties in `<{...}>`) re-parses to the same custom form.
//
// RUN: %roundtrip
// RUN: %generic-roundtrip
// RUN: %generic

// Dense synapses, scale, delay, a three-operand add and a LIF population.
snn.graph @dense(%x: tensor<2xf32>) -> tensor<3xf32> attributes {dt = 1.0e-04 : f64} {
  %w = snn.linear %x {weight = dense<[[1.0, -2.0], [0.5, 0.0], [0.0, 3.0]]> : tensor<3x2xf32>} : tensor<2xf32> -> tensor<3xf32>
  %b = snn.affine %x {weight = dense<0.25> : tensor<3x2xf32>, bias = dense<[0.0, 1.0, -1.0]> : tensor<3xf32>} : tensor<2xf32> -> tensor<3xf32>
  %k = snn.scale %w {scale = dense<[2.0, 0.5, 1.0]> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
  %d = snn.delay %b {delay = dense<[0.0, 1.0e-04, 3.0e-04]> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
  %a = snn.add %k, %d, %w : tensor<3xf32>
  %s = snn.lif %a {tau = dense<2.0e-02> : tensor<3xf32>, r = dense<1.0> : tensor<3xf32>, v_leak = dense<0.0> : tensor<3xf32>, v_threshold = dense<[1.0, 1.5, 2.0]> : tensor<3xf32>, v_reset = dense<0.0> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
  snn.output %s : tensor<3xf32>
}

// CHECK-LABEL: snn.graph @dense(%x: tensor<2xf32>) -> tensor<3xf32> attributes {dt = 1.000000e-04 : f64} {
// CHECK-NEXT:    %w = snn.linear %x {weight = dense<[[1.000000e+00, -2.000000e+00], [5.000000e-01, 0.000000e+00], [0.000000e+00, 3.000000e+00]]> : tensor<3x2xf32>} : tensor<2xf32> -> tensor<3xf32>
// CHECK-NEXT:    %b = snn.affine %x {weight = dense<2.500000e-01> : tensor<3x2xf32>, bias = dense<[0.000000e+00, 1.000000e+00, -1.000000e+00]> : tensor<3xf32>} : tensor<2xf32> -> tensor<3xf32>
// CHECK-NEXT:    %k = snn.scale %w {scale = dense<[2.000000e+00, 5.000000e-01, 1.000000e+00]> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
// CHECK-NEXT:    %d = snn.delay %b {delay = dense<[0.000000e+00, 1.000000e-04, 3.000000e-04]> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
// CHECK-NEXT:    %a = snn.add %k, %d, %w : tensor<3xf32>
// CHECK-NEXT:    %s = snn.lif %a {tau = dense<2.000000e-02> : tensor<3xf32>, r = dense<1.000000e+00> : tensor<3xf32>, v_leak = dense<0.000000e+00> : tensor<3xf32>, v_threshold = dense<[1.000000e+00, 1.500000e+00, 2.000000e+00]> : tensor<3xf32>, v_reset = dense<0.000000e+00> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
// CHECK-NEXT:    snn.output %s : tensor<3xf32>
// CHECK-NEXT:    }

// CHECK-GENERIC-LABEL: "snn.graph"() <{sym_name = "dense", function_type = (tensor<2xf32>) -> tensor<3xf32>, dt = 1.000000e-04 : f64}> ({
// CHECK-GENERIC-NEXT:    ^bb0(%x: tensor<2xf32>):
// CHECK-GENERIC-NEXT:    %w = "snn.linear"(%x) <{weight = dense<[[1.000000e+00, -2.000000e+00], [5.000000e-01, 0.000000e+00], [0.000000e+00, 3.000000e+00]]> : tensor<3x2xf32>}> : (tensor<2xf32>) -> tensor<3xf32>
// CHECK-GENERIC-NEXT:    %b = "snn.affine"(%x) <{weight = dense<2.500000e-01> : tensor<3x2xf32>, bias = dense<[0.000000e+00, 1.000000e+00, -1.000000e+00]> : tensor<3xf32>}> : (tensor<2xf32>) -> tensor<3xf32>
// CHECK-GENERIC-NEXT:    %k = "snn.scale"(%w) <{scale = dense<[2.000000e+00, 5.000000e-01, 1.000000e+00]> : tensor<3xf32>}> : (tensor<3xf32>) -> tensor<3xf32>
// CHECK-GENERIC-NEXT:    %d = "snn.delay"(%b) <{delay = dense<[0.000000e+00, 1.000000e-04, 3.000000e-04]> : tensor<3xf32>}> : (tensor<3xf32>) -> tensor<3xf32>
// CHECK-GENERIC-NEXT:    %a = "snn.add"(%k, %d, %w) : (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
// CHECK-GENERIC-NEXT:    %s = "snn.lif"(%a) <{tau = dense<2.000000e-02> : tensor<3xf32>, r = dense<1.000000e+00> : tensor<3xf32>, v_leak = dense<0.000000e+00> : tensor<3xf32>, v_threshold = dense<[1.000000e+00, 1.500000e+00, 2.000000e+00]> : tensor<3xf32>, v_reset = dense<0.000000e+00> : tensor<3xf32>}> : (tensor<3xf32>) -> tensor<3xf32>
// CHECK-GENERIC-NEXT:    "snn.output"(%s) : (tensor<3xf32>) -> ()
// CHECK-GENERIC-NEXT:    }) : () -> ()

// -----

// Convolutions (dilated 1-D, grouped 2-D), both poolings and flatten; several outputs.
snn.graph @conv(%x: tensor<1x8xf32>, %img: tensor<2x6x6xf32>) -> (tensor<2x6xf32>, tensor<36xf32>, tensor<4x3x3xf32>) attributes {dt = 1.0e-03 : f64} {
  %c1 = snn.conv1d %x {weight = dense<[[[1.0, 0.0, -1.0]], [[0.5, 0.5, 0.5]]]> : tensor<2x1x3xf32>, bias = dense<[0.0, 0.25]> : tensor<2xf32>, stride = array<i64: 1>, padding = array<i64: 1>, dilation = array<i64: 2>, groups = 1 : i64} : tensor<1x8xf32> -> tensor<2x6xf32>
  %c2 = snn.conv2d %img {weight = dense<0.5> : tensor<4x1x3x3xf32>, bias = dense<[0.0, 1.0, 2.0, 3.0]> : tensor<4xf32>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, groups = 2 : i64} : tensor<2x6x6xf32> -> tensor<4x6x6xf32>
  %p = snn.sum_pool2d %c2 {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<4x6x6xf32> -> tensor<4x3x3xf32>
  %q = snn.avg_pool2d %p {kernel_size = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>} : tensor<4x3x3xf32> -> tensor<4x3x3xf32>
  %f = snn.flatten %q {start_dim = 0 : i64, end_dim = -1 : i64} : tensor<4x3x3xf32> -> tensor<36xf32>
  snn.output %c1, %f, %q : tensor<2x6xf32>, tensor<36xf32>, tensor<4x3x3xf32>
}

// CHECK-LABEL: snn.graph @conv(%x: tensor<1x8xf32>, %img: tensor<2x6x6xf32>) -> (tensor<2x6xf32>, tensor<36xf32>, tensor<4x3x3xf32>) attributes {dt = 1.000000e-03 : f64} {
// CHECK-NEXT:    %c1 = snn.conv1d %x {weight = dense<[[[1.000000e+00, 0.000000e+00, -1.000000e+00]], [[5.000000e-01, 5.000000e-01, 5.000000e-01]]]> : tensor<2x1x3xf32>, bias = dense<[0.000000e+00, 2.500000e-01]> : tensor<2xf32>, stride = array<i64: 1>, padding = array<i64: 1>, dilation = array<i64: 2>, groups = 1 : i64} : tensor<1x8xf32> -> tensor<2x6xf32>
// CHECK-NEXT:    %c2 = snn.conv2d %img {weight = dense<5.000000e-01> : tensor<4x1x3x3xf32>, bias = dense<[0.000000e+00, 1.000000e+00, 2.000000e+00, 3.000000e+00]> : tensor<4xf32>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, groups = 2 : i64} : tensor<2x6x6xf32> -> tensor<4x6x6xf32>
// CHECK-NEXT:    %p = snn.sum_pool2d %c2 {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<4x6x6xf32> -> tensor<4x3x3xf32>
// CHECK-NEXT:    %q = snn.avg_pool2d %p {kernel_size = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>} : tensor<4x3x3xf32> -> tensor<4x3x3xf32>
// CHECK-NEXT:    %f = snn.flatten %q {start_dim = 0 : i64, end_dim = -1 : i64} : tensor<4x3x3xf32> -> tensor<36xf32>
// CHECK-NEXT:    snn.output %c1, %f, %q : tensor<2x6xf32>, tensor<36xf32>, tensor<4x3x3xf32>
// CHECK-NEXT:    }

// CHECK-GENERIC-LABEL: "snn.graph"() <{sym_name = "conv", function_type = (tensor<1x8xf32>, tensor<2x6x6xf32>) -> (tensor<2x6xf32>, tensor<36xf32>, tensor<4x3x3xf32>), dt = 1.000000e-03 : f64}> ({
// CHECK-GENERIC-NEXT:    ^bb0(%x: tensor<1x8xf32>, %img: tensor<2x6x6xf32>):
// CHECK-GENERIC-NEXT:    %c1 = "snn.conv1d"(%x) <{weight = dense<[[[1.000000e+00, 0.000000e+00, -1.000000e+00]], [[5.000000e-01, 5.000000e-01, 5.000000e-01]]]> : tensor<2x1x3xf32>, bias = dense<[0.000000e+00, 2.500000e-01]> : tensor<2xf32>, stride = array<i64: 1>, padding = array<i64: 1>, dilation = array<i64: 2>, groups = 1 : i64}> : (tensor<1x8xf32>) -> tensor<2x6xf32>
// CHECK-GENERIC-NEXT:    %c2 = "snn.conv2d"(%img) <{weight = dense<5.000000e-01> : tensor<4x1x3x3xf32>, bias = dense<[0.000000e+00, 1.000000e+00, 2.000000e+00, 3.000000e+00]> : tensor<4xf32>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, groups = 2 : i64}> : (tensor<2x6x6xf32>) -> tensor<4x6x6xf32>
// CHECK-GENERIC-NEXT:    %p = "snn.sum_pool2d"(%c2) <{kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>}> : (tensor<4x6x6xf32>) -> tensor<4x3x3xf32>
// CHECK-GENERIC-NEXT:    %q = "snn.avg_pool2d"(%p) <{kernel_size = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>}> : (tensor<4x3x3xf32>) -> tensor<4x3x3xf32>
// CHECK-GENERIC-NEXT:    %f = "snn.flatten"(%q) <{start_dim = 0 : i64, end_dim = -1 : i64}> : (tensor<4x3x3xf32>) -> tensor<36xf32>
// CHECK-GENERIC-NEXT:    "snn.output"(%c1, %f, %q) : (tensor<2x6xf32>, tensor<36xf32>, tensor<4x3x3xf32>) -> ()
// CHECK-GENERIC-NEXT:    }) : () -> ()

// -----

// Every other neuron op, each fed by the graph input; the CubaLIF carries a profile.
snn.graph @neurons(%x: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) attributes {dt = 1.0e-04 : f64} {
  %a = snn.cuba_lif %x {tau_syn = dense<5.0e-03> : tensor<2xf32>, tau_mem = dense<2.0e-02> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>, w_in = dense<[1.0, 2.0]> : tensor<2xf32>, firing_rates = dense<[0.0, 0.125]> : tensor<2xf32>, profile_samples = 16 : i64, profile_steps = 200 : i64} : tensor<2xf32> -> tensor<2xf32>
  %b = snn.if %x {r = dense<1.0> : tensor<2xf32>, v_threshold = dense<[1.0, 0.5]> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %c = snn.li %x {tau = dense<[1.0e-02, 2.0e-02]> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<-0.5> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %d = snn.cuba_li %x {tau_syn = dense<5.0e-03> : tensor<2xf32>, tau_mem = dense<2.0e-02> : tensor<2xf32>, r = dense<2.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>, w_in = dense<1.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %e = snn.integrator %x {r = dense<[1.0, 3.0]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %f = snn.threshold %x {threshold = dense<[0.0, 0.5]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %a, %b, %c, %d, %e, %f : tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
}

// CHECK-LABEL: snn.graph @neurons(%x: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) attributes {dt = 1.000000e-04 : f64} {
// CHECK-NEXT:    %a = snn.cuba_lif %x {tau_syn = dense<5.000000e-03> : tensor<2xf32>, tau_mem = dense<2.000000e-02> : tensor<2xf32>, r = dense<1.000000e+00> : tensor<2xf32>, v_leak = dense<0.000000e+00> : tensor<2xf32>, v_threshold = dense<1.000000e+00> : tensor<2xf32>, v_reset = dense<0.000000e+00> : tensor<2xf32>, w_in = dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>, firing_rates = dense<[0.000000e+00, 1.250000e-01]> : tensor<2xf32>, profile_samples = 16 : i64, profile_steps = 200 : i64} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %b = snn.if %x {r = dense<1.000000e+00> : tensor<2xf32>, v_threshold = dense<[1.000000e+00, 5.000000e-01]> : tensor<2xf32>, v_reset = dense<0.000000e+00> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %c = snn.li %x {tau = dense<[1.000000e-02, 2.000000e-02]> : tensor<2xf32>, r = dense<1.000000e+00> : tensor<2xf32>, v_leak = dense<-5.000000e-01> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %d = snn.cuba_li %x {tau_syn = dense<5.000000e-03> : tensor<2xf32>, tau_mem = dense<2.000000e-02> : tensor<2xf32>, r = dense<2.000000e+00> : tensor<2xf32>, v_leak = dense<0.000000e+00> : tensor<2xf32>, w_in = dense<1.000000e+00> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %e = snn.integrator %x {r = dense<[1.000000e+00, 3.000000e+00]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %f = snn.threshold %x {threshold = dense<[0.000000e+00, 5.000000e-01]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    snn.output %a, %b, %c, %d, %e, %f : tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
// CHECK-NEXT:    }

// CHECK-GENERIC-LABEL: "snn.graph"() <{sym_name = "neurons", function_type = (tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>), dt = 1.000000e-04 : f64}> ({
// CHECK-GENERIC-NEXT:    ^bb0(%x: tensor<2xf32>):
// CHECK-GENERIC-NEXT:    %a = "snn.cuba_lif"(%x) <{tau_syn = dense<5.000000e-03> : tensor<2xf32>, tau_mem = dense<2.000000e-02> : tensor<2xf32>, r = dense<1.000000e+00> : tensor<2xf32>, v_leak = dense<0.000000e+00> : tensor<2xf32>, v_threshold = dense<1.000000e+00> : tensor<2xf32>, v_reset = dense<0.000000e+00> : tensor<2xf32>, w_in = dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>, firing_rates = dense<[0.000000e+00, 1.250000e-01]> : tensor<2xf32>, profile_samples = 16 : i64, profile_steps = 200 : i64}> : (tensor<2xf32>) -> tensor<2xf32>
// CHECK-GENERIC-NEXT:    %b = "snn.if"(%x) <{r = dense<1.000000e+00> : tensor<2xf32>, v_threshold = dense<[1.000000e+00, 5.000000e-01]> : tensor<2xf32>, v_reset = dense<0.000000e+00> : tensor<2xf32>}> : (tensor<2xf32>) -> tensor<2xf32>
// CHECK-GENERIC-NEXT:    %c = "snn.li"(%x) <{tau = dense<[1.000000e-02, 2.000000e-02]> : tensor<2xf32>, r = dense<1.000000e+00> : tensor<2xf32>, v_leak = dense<-5.000000e-01> : tensor<2xf32>}> : (tensor<2xf32>) -> tensor<2xf32>
// CHECK-GENERIC-NEXT:    %d = "snn.cuba_li"(%x) <{tau_syn = dense<5.000000e-03> : tensor<2xf32>, tau_mem = dense<2.000000e-02> : tensor<2xf32>, r = dense<2.000000e+00> : tensor<2xf32>, v_leak = dense<0.000000e+00> : tensor<2xf32>, w_in = dense<1.000000e+00> : tensor<2xf32>}> : (tensor<2xf32>) -> tensor<2xf32>
// CHECK-GENERIC-NEXT:    %e = "snn.integrator"(%x) <{r = dense<[1.000000e+00, 3.000000e+00]> : tensor<2xf32>}> : (tensor<2xf32>) -> tensor<2xf32>
// CHECK-GENERIC-NEXT:    %f = "snn.threshold"(%x) <{threshold = dense<[0.000000e+00, 5.000000e-01]> : tensor<2xf32>}> : (tensor<2xf32>) -> tensor<2xf32>
// CHECK-GENERIC-NEXT:    "snn.output"(%a, %b, %c, %d, %e, %f) : (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> ()
// CHECK-GENERIC-NEXT:    }) : () -> ()

// -----

// snn.recurrent reads %s, which is defined later in the body (one-step delay).
snn.graph @recurrent(%x: tensor<3xf32>) -> tensor<3xf32> attributes {dt = 1.0e-04 : f64} {
  %r = snn.recurrent %s : tensor<3xf32> -> tensor<3xf32>
  %i = snn.add %x, %r : tensor<3xf32>
  %s = snn.threshold %i {threshold = dense<1.0> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
  snn.output %s : tensor<3xf32>
}

// CHECK-LABEL: snn.graph @recurrent(%x: tensor<3xf32>) -> tensor<3xf32> attributes {dt = 1.000000e-04 : f64} {
// CHECK-NEXT:    %r = snn.recurrent %s : tensor<3xf32> -> tensor<3xf32>
// CHECK-NEXT:    %i = snn.add %x, %r : tensor<3xf32>
// CHECK-NEXT:    %s = snn.threshold %i {threshold = dense<1.000000e+00> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
// CHECK-NEXT:    snn.output %s : tensor<3xf32>
// CHECK-NEXT:    }

// CHECK-GENERIC-LABEL: "snn.graph"() <{sym_name = "recurrent", function_type = (tensor<3xf32>) -> tensor<3xf32>, dt = 1.000000e-04 : f64}> ({
// CHECK-GENERIC-NEXT:    ^bb0(%x: tensor<3xf32>):
// CHECK-GENERIC-NEXT:    %r = "snn.recurrent"(%s) : (tensor<3xf32>) -> tensor<3xf32>
// CHECK-GENERIC-NEXT:    %i = "snn.add"(%x, %r) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
// CHECK-GENERIC-NEXT:    %s = "snn.threshold"(%i) <{threshold = dense<1.000000e+00> : tensor<3xf32>}> : (tensor<3xf32>) -> tensor<3xf32>
// CHECK-GENERIC-NEXT:    "snn.output"(%s) : (tensor<3xf32>) -> ()
// CHECK-GENERIC-NEXT:    }) : () -> ()

// -----

// A recurrent layer: the affine map reads %r before the snn.recurrent that defines it.
snn.graph @recurrent_layer(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %h = snn.affine %r {weight = dense<[[0.0, -1.0], [-1.0, 0.0]]> : tensor<2x2xf32>, bias = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %i = snn.add %x, %h : tensor<2xf32>
  %s = snn.lif %i {tau = dense<1.0e-02> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %r = snn.recurrent %s : tensor<2xf32> -> tensor<2xf32>
  snn.output %s : tensor<2xf32>
}

// CHECK-LABEL: snn.graph @recurrent_layer(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.000000e-04 : f64} {
// CHECK-NEXT:    %h = snn.affine %r {weight = dense<[[0.000000e+00, -1.000000e+00], [-1.000000e+00, 0.000000e+00]]> : tensor<2x2xf32>, bias = dense<0.000000e+00> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %i = snn.add %x, %h : tensor<2xf32>
// CHECK-NEXT:    %s = snn.lif %i {tau = dense<1.000000e-02> : tensor<2xf32>, r = dense<1.000000e+00> : tensor<2xf32>, v_leak = dense<0.000000e+00> : tensor<2xf32>, v_threshold = dense<1.000000e+00> : tensor<2xf32>, v_reset = dense<0.000000e+00> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %r = snn.recurrent %s : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    snn.output %s : tensor<2xf32>
// CHECK-NEXT:    }

// CHECK-GENERIC-LABEL: "snn.graph"() <{sym_name = "recurrent_layer", function_type = (tensor<2xf32>) -> tensor<2xf32>, dt = 1.000000e-04 : f64}> ({
// CHECK-GENERIC-NEXT:    ^bb0(%x: tensor<2xf32>):
// CHECK-GENERIC-NEXT:    %h = "snn.affine"(%r) <{weight = dense<[[0.000000e+00, -1.000000e+00], [-1.000000e+00, 0.000000e+00]]> : tensor<2x2xf32>, bias = dense<0.000000e+00> : tensor<2xf32>}> : (tensor<2xf32>) -> tensor<2xf32>
// CHECK-GENERIC-NEXT:    %i = "snn.add"(%x, %h) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
// CHECK-GENERIC-NEXT:    %s = "snn.lif"(%i) <{tau = dense<1.000000e-02> : tensor<2xf32>, r = dense<1.000000e+00> : tensor<2xf32>, v_leak = dense<0.000000e+00> : tensor<2xf32>, v_threshold = dense<1.000000e+00> : tensor<2xf32>, v_reset = dense<0.000000e+00> : tensor<2xf32>}> : (tensor<2xf32>) -> tensor<2xf32>
// CHECK-GENERIC-NEXT:    %r = "snn.recurrent"(%s) : (tensor<2xf32>) -> tensor<2xf32>
// CHECK-GENERIC-NEXT:    "snn.output"(%s) : (tensor<2xf32>) -> ()
// CHECK-GENERIC-NEXT:    }) : () -> ()

// -----

// Written in generic form by hand: discardable attributes on the graph and on ops,
// an op with profiled firing rates.
"snn.graph"() <{sym_name = "generic", function_type = (tensor<2xf32>) -> tensor<1xf32>, dt = 1.0e-04 : f64}> ({
^bb0(%x: tensor<2xf32>):
  %y = "snn.linear"(%x) <{weight = dense<[[1.0, 2.0]]> : tensor<1x2xf32>}> {nir.node = "fc1"} : (tensor<2xf32>) -> tensor<1xf32>
  %z = "snn.add"(%y, %y) {nir.node = "sum"} : (tensor<1xf32>, tensor<1xf32>) -> tensor<1xf32>
  %s = "snn.if"(%z) <{r = dense<1.0> : tensor<1xf32>, v_threshold = dense<1.0> : tensor<1xf32>, v_reset = dense<0.0> : tensor<1xf32>, firing_rates = dense<0.25> : tensor<1xf32>, profile_samples = 8 : i64, profile_steps = 50 : i64}> : (tensor<1xf32>) -> tensor<1xf32>
  "snn.output"(%s) : (tensor<1xf32>) -> ()
}) {nir.source = "fc.nir"} : () -> ()

// CHECK-LABEL: snn.graph @generic(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.000000e-04 : f64, nir.source = "fc.nir"} {
// CHECK-NEXT:    %y = snn.linear %x {nir.node = "fc1", weight = dense<[[1.000000e+00, 2.000000e+00]]> : tensor<1x2xf32>} : tensor<2xf32> -> tensor<1xf32>
// CHECK-NEXT:    %z = snn.add %y, %y {nir.node = "sum"} : tensor<1xf32>
// CHECK-NEXT:    %s = snn.if %z {r = dense<1.000000e+00> : tensor<1xf32>, v_threshold = dense<1.000000e+00> : tensor<1xf32>, v_reset = dense<0.000000e+00> : tensor<1xf32>, firing_rates = dense<2.500000e-01> : tensor<1xf32>, profile_samples = 8 : i64, profile_steps = 50 : i64} : tensor<1xf32> -> tensor<1xf32>
// CHECK-NEXT:    snn.output %s : tensor<1xf32>
// CHECK-NEXT:    }

// CHECK-GENERIC-LABEL: "snn.graph"() <{sym_name = "generic", function_type = (tensor<2xf32>) -> tensor<1xf32>, dt = 1.000000e-04 : f64}> ({
// CHECK-GENERIC-NEXT:    ^bb0(%x: tensor<2xf32>):
// CHECK-GENERIC-NEXT:    %y = "snn.linear"(%x) <{weight = dense<[[1.000000e+00, 2.000000e+00]]> : tensor<1x2xf32>}> {nir.node = "fc1"} : (tensor<2xf32>) -> tensor<1xf32>
// CHECK-GENERIC-NEXT:    %z = "snn.add"(%y, %y) {nir.node = "sum"} : (tensor<1xf32>, tensor<1xf32>) -> tensor<1xf32>
// CHECK-GENERIC-NEXT:    %s = "snn.if"(%z) <{r = dense<1.000000e+00> : tensor<1xf32>, v_threshold = dense<1.000000e+00> : tensor<1xf32>, v_reset = dense<0.000000e+00> : tensor<1xf32>, firing_rates = dense<2.500000e-01> : tensor<1xf32>, profile_samples = 8 : i64, profile_steps = 50 : i64}> : (tensor<1xf32>) -> tensor<1xf32>
// CHECK-GENERIC-NEXT:    "snn.output"(%s) : (tensor<1xf32>) -> ()
// CHECK-GENERIC-NEXT:    }) {nir.source = "fc.nir"} : () -> ()

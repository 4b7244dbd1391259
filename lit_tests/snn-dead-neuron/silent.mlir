// RUN: xdsl-opt %s -p snn-dead-neuron --split-input-file | filecheck %s

// The second hidden neuron only receives inhibition from spikes: it never fires. It goes
// with its weight row and parameters, and the readout loses its column.
snn.graph @silent_hidden(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.0e-03 : f64} {
  %a = snn.linear %x {weight = dense<[[1.0, 1.0], [1.0, -1.0]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %s = snn.lif %a {tau = dense<5.0e-3> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %b = snn.linear %s {weight = dense<[[2.0, 3.0], [-1.0, -2.0]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %h = snn.lif %b {tau = dense<5.0e-3> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %c = snn.linear %h {weight = dense<[[1.5, 4.0]]> : tensor<1x2xf32>} : tensor<2xf32> -> tensor<1xf32>
  %o = snn.lif %c {tau = dense<5.0e-3> : tensor<1xf32>, r = dense<1.0> : tensor<1xf32>, v_leak = dense<0.0> : tensor<1xf32>, v_threshold = dense<1.0> : tensor<1xf32>, v_reset = dense<0.0> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
  snn.output %o : tensor<1xf32>
}

// CHECK-LABEL: @silent_hidden
// CHECK-NEXT:    %a = snn.linear %x {weight = dense<{{\[\[}}1.000000e+00, 1.000000e+00], [1.000000e+00, -1.000000e+00]]> : tensor<2x2xf32>}
// CHECK-NEXT:    %s = snn.lif %a
// CHECK-NEXT:    %b = snn.linear %s {weight = dense<{{\[\[}}2.000000e+00, 3.000000e+00]]> : tensor<1x2xf32>} : tensor<2xf32> -> tensor<1xf32>
// CHECK-NEXT:    %h = snn.lif %b {tau = dense<5.000000e-03> : tensor<1xf32>, {{.*}}} : tensor<1xf32> -> tensor<1xf32>
// CHECK-NEXT:    %c = snn.linear %h {weight = dense<1.500000e+00> : tensor<1x1xf32>} : tensor<1xf32> -> tensor<1xf32>
// CHECK-NEXT:    %o = snn.lif %c
// CHECK-NEXT:    snn.output %o : tensor<1xf32>

// -----

// Graph inputs are unbounded by default: a neuron fed straight from the input with negative
// weights could still be driven by a negative input, so it stays.
snn.graph @input_driven(%x: tensor<1xf32>) -> tensor<2xf32> attributes {dt = 1.0e-03 : f64} {
  %a = snn.linear %x {weight = dense<[[1.0], [-1.0]]> : tensor<2x1xf32>} : tensor<1xf32> -> tensor<2xf32>
  %s = snn.lif %a {tau = dense<5.0e-3> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %b = snn.linear %s {weight = dense<[[1.0, 1.0], [2.0, 2.0]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %b : tensor<2xf32>
}

// CHECK-LABEL: @input_driven
// CHECK-NEXT:    %a = snn.linear %x {{.*}} : tensor<1xf32> -> tensor<2xf32>
// CHECK-NEXT:    %s = snn.lif %a {{.*}} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %b = snn.linear %s {{.*}} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    snn.output %b

// -----

// A silent graph output stays (outputs never change), but nothing feeds it any more: its
// input weights are zeroed, and the layer in front, now without fan-out, empties and goes;
// the readout reads the graph input through zero weights (the explicit form of "receives
// nothing", which NIR holds without zero-size tensors).
snn.graph @silent_output(%x: tensor<1xf32>) -> tensor<1xf32> attributes {dt = 1.0e-04 : f64} {
  %a = snn.linear %x {weight = dense<1.0> : tensor<1x1xf32>} : tensor<1xf32> -> tensor<1xf32>
  %s1 = snn.lif %a {tau = dense<1.0e-2> : tensor<1xf32>, r = dense<1.0> : tensor<1xf32>, v_leak = dense<1.2> : tensor<1xf32>, v_threshold = dense<1.0> : tensor<1xf32>, v_reset = dense<0.0> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
  %b = snn.linear %s1 {weight = dense<1.0> : tensor<1x1xf32>} : tensor<1xf32> -> tensor<1xf32>
  %s2 = snn.lif %b {tau = dense<1.0e-2> : tensor<1xf32>, r = dense<1.0> : tensor<1xf32>, v_leak = dense<0.0> : tensor<1xf32>, v_threshold = dense<20.0> : tensor<1xf32>, v_reset = dense<0.0> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
  snn.output %s2 : tensor<1xf32>
}

// CHECK-LABEL: @silent_output
// CHECK-NEXT:    %b = snn.linear %x {weight = dense<0.000000e+00> : tensor<1x1xf32>} : tensor<1xf32> -> tensor<1xf32>
// CHECK-NEXT:    %s2 = snn.lif %b {tau = dense<1.000000e-02> : tensor<1xf32>, r = dense<1.000000e+00> : tensor<1xf32>, v_leak = dense<0.000000e+00> : tensor<1xf32>, v_threshold = dense<2.000000e+01> : tensor<1xf32>, v_reset = dense<0.000000e+00> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
// CHECK-NEXT:    snn.output %s2 : tensor<1xf32>

// -----

// A hidden layer that can never fire collapses: the layers in front of it go, and the
// readout (a graph output) keeps its type and bias, reading the graph input through zero
// weights.
snn.graph @dead_layer(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.0e-03 : f64} {
  %a = snn.linear %x {weight = dense<[[1.0, 1.0], [1.0, 2.0]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %s = snn.lif %a {tau = dense<5.0e-3> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %b = snn.linear %s {weight = dense<[[-1.0, -1.0], [-2.0, 0.0]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %h = snn.lif %b {tau = dense<5.0e-3> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %c = snn.affine %h {weight = dense<[[1.0, 1.0]]> : tensor<1x2xf32>, bias = dense<0.5> : tensor<1xf32>} : tensor<2xf32> -> tensor<1xf32>
  snn.output %c : tensor<1xf32>
}

// CHECK-LABEL: @dead_layer
// CHECK-NEXT:    %c = snn.affine %x {weight = dense<0.000000e+00> : tensor<1x2xf32>, bias = dense<5.000000e-01> : tensor<1xf32>} : tensor<2xf32> -> tensor<1xf32>
// CHECK-NEXT:    snn.output %c : tensor<1xf32>

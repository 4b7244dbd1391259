// The lowered module compiles with IREE and runs on the CPU: a threshold neuron fed back
// through a recurrent edge and a LIF neuron after a linear layer, over four steps.
//
// REQUIRES: iree, iree-runtime
// RUN: xdsl-opt %s -p convert-snn-to-linalg | iree-compile - --iree-hal-target-backends=llvm-cpu --iree-llvmcpu-target-cpu=generic -o %t.vmfb
// RUN: iree-run-module --module=%t.vmfb --device=local-sync --function=net --input="4x1x2xf32=1,0,0,0,0,1,1,1" | filecheck %s

snn.graph @net(%x: tensor<2xf32>) -> (tensor<2xf32>, tensor<1xf32>) attributes {dt = 1.000000e+00 : f64} {
  %r = snn.recurrent %s : tensor<2xf32> -> tensor<2xf32>
  %sum = snn.add %x, %r : tensor<2xf32>
  %s = snn.threshold %sum {threshold = dense<0.5> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %y = snn.linear %x {weight = dense<[[0.75, 0.5]]> : tensor<1x2xf32>} : tensor<2xf32> -> tensor<1xf32>
  %l = snn.lif %y {tau = dense<2.0> : tensor<1xf32>, r = dense<1.0> : tensor<1xf32>, v_leak = dense<0.0> : tensor<1xf32>, v_threshold = dense<0.5> : tensor<1xf32>, v_reset = dense<0.0> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
  snn.output %s, %l : tensor<2xf32>, tensor<1xf32>
}

// Step by step, x = [1 0], [0 0], [0 1], [1 1]:
//   threshold(x + last spikes): [1 0], [1 0], [1 1], [1 1] (a spike keeps itself alive);
//   LIF, v += (0 - v + W x)/2: v = 0.375, 0.1875, 0.34375, 0.796875 -> fires at step 4.
// CHECK:      result[0]: hal.buffer_view
// CHECK-NEXT: 4x1x2xf32={{\[}}[1 0]]{{\[}}[1 0]]{{\[}}[1 1]]{{\[}}[1 1]]{{$}}
// CHECK:      result[1]: hal.buffer_view
// CHECK-NEXT: 4x1x1xf32={{\[}}[0]]{{\[}}[0]]{{\[}}[0]]{{\[}}[1]]{{$}}

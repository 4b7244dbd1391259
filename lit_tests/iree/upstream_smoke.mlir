// IR printed by xdsl-opt in upstream dialects compiles with iree-compile and runs on the CPU:
// the path that lowered snn modules take to IREE.
//
// RUN: xdsl-opt %s | iree-compile - --iree-hal-target-backends=llvm-cpu --iree-llvmcpu-target-cpu=generic -o %t.vmfb
// RUN: %if iree-runtime %{ iree-run-module --module=%t.vmfb --function=step --input=4xf32=1,2,3,4 --input=4xf32=0.5,0.5,0.5,0.5 | filecheck %s %}

func.func @step(%v: tensor<4xf32>, %i: tensor<4xf32>) -> tensor<4xf32> {
  %n = arith.addf %v, %i : tensor<4xf32>
  func.return %n : tensor<4xf32>
}

// CHECK: 4xf32=1.5 2.5 3.5 4.5

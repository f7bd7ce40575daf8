// Host stand-in for <cuda_fp16.h> in the kernel emulation: everything lives in emu.h.
#pragma once
#include "emu.h"

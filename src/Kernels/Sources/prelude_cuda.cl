#pragma nv_diag_suppress 177
/* FastAD common dialect -> CUDA C++ (NVRTC) */
#define FASTAD_CUDA 1
#define KERNEL extern "C" __global__
#define GLOBAL
#define LOCAL __shared__
#define RESTRICT __restrict__
#define DEVFN static __device__ __forceinline__
typedef unsigned int u32;
typedef long long i64;
typedef unsigned long long u64;
typedef unsigned char uchar;
#ifndef INFINITY
#define INFINITY __longlong_as_double(0x7ff0000000000000LL)
#endif
static __device__ __forceinline__ int fa_dim3(dim3 v, int d) { return d == 0 ? (int)v.x : (d == 1 ? (int)v.y : (int)v.z); }
static __device__ __forceinline__ int fa_uint3(uint3 v, int d) { return d == 0 ? (int)v.x : (d == 1 ? (int)v.y : (int)v.z); }
#define LOCAL_ID(d) fa_uint3(threadIdx, d)
#define GROUP_ID(d) ((i64)fa_uint3(blockIdx, d))
#define LOCAL_SIZE(d) fa_dim3(blockDim, d)
#define NUM_GROUPS(d) ((i64)fa_dim3(gridDim, d))
#define GLOBAL_ID(d) (GROUP_ID(d) * LOCAL_SIZE(d) + LOCAL_ID(d))
#define BARRIER() __syncthreads()
#define f64_from_bits(b) __longlong_as_double(b)
#define bits_from_f64(x) __double_as_longlong(x)
#define atomic_add_i32_local(p, v) atomicAdd((int*)(p), (v))
#define atomic_add_i32_global(p, v) atomicAdd((int*)(p), (v))
#define atomic_add_f64_local(p, v) atomicAdd((double*)(p), (v))
#define atomic_add_f64_global(p, v) atomicAdd((double*)(p), (v))

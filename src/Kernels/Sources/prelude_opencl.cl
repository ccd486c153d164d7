/* FastAD common dialect -> OpenCL C */
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL EXTENSION cl_khr_int64_base_atomics : enable
#define FASTAD_OPENCL 1
#define KERNEL __kernel
#define GLOBAL __global
#define LOCAL __local
#define RESTRICT restrict
#define DEVFN static inline
#define GLOBAL_ID(d) ((i64)get_global_id(d))
#define LOCAL_ID(d) ((int)get_local_id(d))
#define GROUP_ID(d) ((i64)get_group_id(d))
#define LOCAL_SIZE(d) ((int)get_local_size(d))
#define NUM_GROUPS(d) ((i64)get_num_groups(d))
#define BARRIER() barrier(CLK_LOCAL_MEM_FENCE)
typedef uint u32;
typedef long i64;
typedef ulong u64;
#define f64_from_bits(b) as_double(b)
#define bits_from_f64(x) as_long(x)
#define atomic_add_i32_local(p, v) atomic_add((volatile __local int*)(p), (v))
#define atomic_add_i32_global(p, v) atomic_add((volatile __global int*)(p), (v))
static inline void atomic_add_f64_local(__local double* p, double v)
{
    volatile __local long* ip = (volatile __local long*)p;
    long old = *ip, assumed;
    do { assumed = old; old = atom_cmpxchg(ip, assumed, as_long(as_double(assumed) + v)); } while (old != assumed);
}
static inline void atomic_add_f64_global(__global double* p, double v)
{
    volatile __global long* ip = (volatile __global long*)p;
    long old = *ip, assumed;
    do { assumed = old; old = atom_cmpxchg(ip, assumed, as_long(as_double(assumed) + v)); } while (old != assumed);
}

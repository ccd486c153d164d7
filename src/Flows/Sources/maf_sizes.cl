/* Compile-time sizes of the affine conditional MAF kernels (maf.cl, maf_train.cl), defined by the host with a
   MAF_ prefix so that no -D touches the CUDA builtin headers: D features, C conditions (0 allowed), H hidden units,
   B blocks; REAL float or double (the arithmetic precision, double by default). */
#ifndef MAF_D
#error MAF_D must be defined
#endif
#define D MAF_D
#ifndef MAF_C
#error MAF_C must be defined
#endif
#define C MAF_C
#ifndef MAF_H
#error MAF_H must be defined
#endif
#define H MAF_H
#ifndef MAF_B
#error MAF_B must be defined
#endif
#define B MAF_B
#ifndef MAF_REAL
#define MAF_REAL double
#endif
typedef MAF_REAL real;

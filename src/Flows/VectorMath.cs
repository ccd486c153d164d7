using System.Numerics;

namespace FastAD.Flows;

/// <summary>Element-wise helpers of the flow layers: a Vector path when accelerated, the scalar loop otherwise.</summary>
internal static class VectorMath
{
    /// <summary>dh[i] *= 1 − h[i]² (tanh'(pre) from the stored activation h = tanh(pre)).</summary>
    public static void TanhBackward(Span<double> dh, ReadOnlySpan<double> h)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int w = Vector<double>.Count;
            for (; i + w <= dh.Length; i += w)
            {
                var hv = new Vector<double>(h.Slice(i, w));
                (new Vector<double>(dh.Slice(i, w)) * (Vector<double>.One - hv * hv)).CopyTo(dh.Slice(i, w));
            }
        }
        for (; i < dh.Length; i++) dh[i] *= 1 - h[i] * h[i];
    }

    /// <summary>dx[i] = x[i] &gt; 0 ? dx[i] : 0 (ReLU backward from the stored activation).</summary>
    public static void ReluBackward(Span<double> dx, ReadOnlySpan<double> a)
    {
        for (int i = 0; i < dx.Length; i++) if (a[i] <= 0) dx[i] = 0;
    }
}

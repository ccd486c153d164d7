using FastAD.Kernels;
using FastAD.Kernels.Cpu;

namespace FastAD.Stats;

/// <summary>
/// The batched bump-hunt fitter: many spectra (toys, working points, variations, pseudoexperiments)
/// fitted at once, each with the two fits of SPEC 1.6. <see cref="ManagedProfileFitter"/> is the
/// reference (parallel over rows); <see cref="KernelProfileFitter"/> runs one work-item per spectrum
/// in double precision on OpenCL/CUDA.
/// </summary>
public abstract class ProfileLikelihoodFitter
{
    /// <summary>The fitter for a device: managed on the CPU device, kernels elsewhere.</summary>
    public static ProfileLikelihoodFitter For(ComputeDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return device is CpuDevice ? new ManagedProfileFitter() : new KernelProfileFitter(device);
    }

    /// <summary>The device the fits run on.</summary>
    public abstract ComputeDevice Device { get; }

    /// <summary>
    /// Fits every spectrum. <paramref name="startPhi"/> (internal coefficients, one set for all rows,
    /// e.g. the generating background of toys) speeds convergence; without it the fit starts from a
    /// flat background at the mean count.
    /// </summary>
    public BumpHuntResults Fit(BackgroundModel model, Spectra spectra, ReadOnlySpan<double> startPhi = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(spectra);
        if (spectra.Columns != model.Rows)
            throw new ArgumentException($"Spectra have {spectra.Columns} columns; the model has {model.Rows} rows (sideband bins + SR).");
        if (!startPhi.IsEmpty && startPhi.Length != model.Parameters)
            throw new ArgumentException($"Start has {startPhi.Length} coefficients; degree {model.Degree} needs {model.Parameters}.");
        var results = new BumpHuntResults(model, spectra.Count);
        if (spectra.Count > 0) FitCore(model, spectra, startPhi.ToArray(), results);
        return results;
    }

    /// <summary>Backend fit.</summary>
    protected abstract void FitCore(BackgroundModel model, Spectra spectra, double[] startPhi, BumpHuntResults results);
}

/// <summary>The managed reference fitter, parallel over spectra.</summary>
public sealed class ManagedProfileFitter : ProfileLikelihoodFitter
{
    /// <inheritdoc />
    public override ComputeDevice Device => CpuDevice.Instance;

    /// <inheritdoc />
    protected override void FitCore(BackgroundModel model, Spectra spectra, double[] startPhi, BumpHuntResults results)
    {
        int cols = spectra.Columns;
        Parallel.For(0, spectra.Count, () => new double[NewtonFitCore.ScratchSize(model.Rows, model.Parameters) + 2 * model.Parameters],
            (row, _, scratch) =>
            {
                FitRow(model, spectra.N.AsSpan(row * cols, cols), spectra.K.AsSpan(row * cols, cols), startPhi, scratch, results, row);
                return scratch;
            }, _ => { });
    }

    /// <summary>Both fits of one spectrum; the reference every other path is tested against.</summary>
    internal static void FitRow(BackgroundModel model, ReadOnlySpan<double> n, ReadOnlySpan<double> k, ReadOnlySpan<double> startPhi,
        Span<double> scratch, BumpHuntResults results, int row)
    {
        int p = model.Parameters;
        var fit = FitSpectrum(model, n, k, startPhi, scratch);
        results.Complete(row, n, k, scratch[..p], scratch.Slice(p, p), fit.FSidebands, fit.FNull, fit.Status, fit.Iterations);
    }

    /// <summary>The objectives and status of both fits; φ̂ lands in scratch[0..p), φ̂̂ in scratch[p..2p).</summary>
    internal readonly record struct SpectrumFit(double FSidebands, double FNull, FitStatus Status, int Iterations);

    /// <summary>
    /// Both fits of one spectrum (mirrored by <c>fit_spectrum</c> in bumphunt.cl): θ̂ on the sidebands from
    /// the start (or a flat background), then θ̂̂ on sidebands + SR from θ̂. With <paramref name="q0Only"/>
    /// the second fit is skipped when Ŝ &lt; 0 (q0 = 0 by definition; F0 is then NaN).
    /// </summary>
    internal static SpectrumFit FitSpectrum(BackgroundModel model, ReadOnlySpan<double> n, ReadOnlySpan<double> k, ReadOnlySpan<double> startPhi,
        Span<double> scratch, bool q0Only = false)
    {
        int p = model.Parameters, sb = model.Binning.SbBins, rows = model.Rows;
        var phiHat = scratch[..p];
        var phiHatHat = scratch.Slice(p, p);
        var work = scratch[(2 * p)..];
        var a = model.Design.AsSpan();
        phiHat.Clear();
        phiHatHat.Clear();
        double total = 0;
        for (int r = 0; r < rows; r++) total += n[r];
        if (!(total > 0)) return new SpectrumFit(0, 0, FitStatus.Empty, 0);
        // Flat start at the mean count per bin (the SR row counts as 1.6/w bins).
        double flat = total / (sb + a[sb * p]);
        bool useStart = !startPhi.IsEmpty;
        if (useStart) startPhi.CopyTo(phiHat);
        if (!useStart || !NewtonFitCore.Feasible(a, sb, p, phiHat, work))
        {
            phiHat.Clear();
            phiHat[0] = flat;
        }
        var s1 = NewtonFitCore.Minimise(a, model.Outer, sb, p, n, k, phiHat, work, out double fSb, out int it1);
        if (q0Only)
        {
            // q0 is 0 whenever Ŝ = N_SR − B(θ̂) < 0: toys that only need q0 skip the second fit then.
            double b = 0;
            for (int j = 0; j < p; j++) b += a[sb * p + j] * phiHat[j];
            if (n[sb] - b < 0) return new SpectrumFit(fSb, double.NaN, s1, it1);
        }
        phiHat.CopyTo(phiHatHat);
        if (!NewtonFitCore.Feasible(a, rows, p, phiHatHat, work))
        {
            phiHatHat.Clear();
            phiHatHat[0] = flat;
        }
        var s2 = NewtonFitCore.Minimise(a, model.Outer, rows, p, n, k, phiHatHat, work, out double fNull, out int it2);
        return new SpectrumFit(fSb, fNull, (FitStatus)Math.Max((byte)s1, (byte)s2), it1 + it2);
    }
}

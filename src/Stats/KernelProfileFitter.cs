using System.Globalization;
using FastAD.Kernels;

namespace FastAD.Stats;

/// <summary>
/// The batched fitter as a kernel (Sources/bumphunt.cl): one work-item fits one spectrum in double
/// precision with the same Newton/active-set algorithm as <see cref="ManagedProfileFitter"/>; the host
/// turns the objectives into −2 ln L, q0, Z and p with the same code as the managed path.
/// </summary>
public sealed class KernelProfileFitter : ProfileLikelihoodFitter
{
    private readonly ComputeDevice _device;

    /// <summary>Creates the fitter for an OpenCL or CUDA device.</summary>
    public KernelProfileFitter(ComputeDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!device.SupportsKernels) throw new ArgumentException($"Device '{device.Id}' does not run kernels; use ManagedProfileFitter.", nameof(device));
        _device = device;
    }

    /// <inheritdoc />
    public override ComputeDevice Device => _device;

    internal static Dictionary<string, string> Defines(BackgroundModel model) => new()
    {
        ["P"] = model.Parameters.ToString(CultureInfo.InvariantCulture),
        ["ROWS"] = model.Rows.ToString(CultureInfo.InvariantCulture),
    };

    /// <inheritdoc />
    protected override void FitCore(BackgroundModel model, Spectra spectra, double[] startPhi, BumpHuntResults results)
    {
        int p = model.Parameters, count = spectra.Count, cols = spectra.Columns;
        var program = _device.GetProgram(typeof(KernelProfileFitter).Assembly, "bumphunt.cl", Defines(model));
        using var design = _device.Upload<double>(model.Design);
        using var outer = _device.Upload<double>(model.Outer);
        using var counts = _device.Upload<double>(spectra.N);
        using var scales = _device.Upload<double>(spectra.K);
        using var start = _device.Upload<double>(startPhi.Length > 0 ? startPhi : new double[p]);
        using var phiHat = _device.Allocate<double>((long)count * p);
        using var phiHatHat = _device.Allocate<double>((long)count * p);
        using var f = _device.Allocate<double>(2L * count);
        using var status = _device.Allocate<int>(2L * count);
        program.GetKernel("fit_spectra").Launch(LaunchGrid.Linear(count, 64),
            design, outer, counts, scales, start, startPhi.Length > 0 ? 1 : 0, count, phiHat, phiHatHat, f, status);
        var ph = _device.Download(phiHat);
        var phh = _device.Download(phiHatHat);
        var fs = _device.Download(f);
        var st = _device.Download(status);
        Parallel.For(0, count, row => results.Complete(row,
            spectra.N.AsSpan(row * cols, cols), spectra.K.AsSpan(row * cols, cols),
            ph.AsSpan(row * p, p), phh.AsSpan(row * p, p), fs[2 * row], fs[2 * row + 1], (FitStatus)st[2 * row], st[2 * row + 1]));
    }
}

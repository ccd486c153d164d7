using System.CommandLine;
using System.Globalization;
using FastAD.Data.Synthetic;

namespace FastAD.Cli;

/// <summary>The scan's command-line values shared by <c>fastad scan</c> and <c>fastad generate dimuon --range</c>: ranges, FPR lists and injections.</summary>
internal static class ScanInputs
{
    /// <summary>--inject MASS:COUNT (repeatable).</summary>
    internal static Option<string[]> InjectOption() => new("--inject")
    {
        Description = "MASS:COUNT: add COUNT events of the generator's signal (Upsilon-like prompt muons, 1% resolution) at MASS GeV; repeatable. Needs the scan spectrum (--range).",
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>"2:20" → (2, 20), naming <paramref name="option"/> when it is not two increasing positive masses.</summary>
    internal static (double Low, double High) ParseRange(string text, string option = "--range")
    {
        var parts = text.Split(':');
        if (parts.Length == 2 && Number(parts[0]) is { } lo && Number(parts[1]) is { } hi && lo > 0 && hi > lo) return (lo, hi);
        throw new ArgumentException($"{option} '{text}': expected LO:HI in GeV with 0 < LO < HI, e.g. 2:20.");
    }

    /// <summary>"9.9:300" → (9.9, 300).</summary>
    internal static (double Mass, int Events) ParseInject(string text)
    {
        var parts = text.Split(':');
        if (parts.Length == 2 && Number(parts[0]) is { } m && m > 0
            && int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= 1)
            return (m, n);
        throw new ArgumentException($"--inject '{text}': expected MASS:COUNT with a mass in GeV and a whole number of events ≥ 1, e.g. 9.9:300.");
    }

    /// <summary>"1,0.1,0.01" → the FPRs, each in (0, 1].</summary>
    internal static List<double> ParseFprs(string text)
    {
        var result = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (Number(part) is { } f && f > 0 && f <= 1) result.Add(f);
            else throw new ArgumentException($"--fprs '{text}': '{part}' is not an FPR in (0, 1]; expected a comma-separated list such as 1,0.1,0.01.");
        }
        return result;
    }

    /// <summary>The scan generator's options, or null when neither --range nor --no-resonances nor --inject is given.</summary>
    internal static DimuonScanOptions? GeneratorOptions(string? range, bool noResonances, string[]? inject, ulong seed, int? background)
    {
        inject ??= [];
        if (range is null)
        {
            if (noResonances || inject.Length > 0) throw new ArgumentException("--no-resonances and --inject need --range LO:HI (the scan spectrum, e.g. --range 2:20).");
            return null;
        }
        var (lo, hi) = ParseRange(range);
        return new DimuonScanOptions(lo, hi, background, !noResonances, inject.Select(ParseInject).ToArray(), seed);
    }

    private static double? Number(string s) =>
        double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) ? v : null;
}

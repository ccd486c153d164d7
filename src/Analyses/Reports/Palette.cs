namespace FastAD.Analyses.Reports;

/// <summary>
/// Colours: the Okabe–Ito palette (distinguishable with the common colour-vision deficiencies) for series, and
/// the viridis colour map (perceptually uniform, readable in grey scale) for heat maps.
/// </summary>
public static class Palette
{
    /// <summary>Black, the default for data points.</summary>
    public const string Black = "#000000";
    /// <summary>Okabe–Ito blue.</summary>
    public const string Blue = "#0072B2";
    /// <summary>Okabe–Ito vermillion.</summary>
    public const string Vermillion = "#D55E00";
    /// <summary>Okabe–Ito bluish green.</summary>
    public const string Green = "#009E73";
    /// <summary>Okabe–Ito orange.</summary>
    public const string Orange = "#E69F00";
    /// <summary>Okabe–Ito reddish purple.</summary>
    public const string Purple = "#CC79A7";
    /// <summary>Okabe–Ito sky blue.</summary>
    public const string SkyBlue = "#56B4E9";
    /// <summary>Okabe–Ito yellow (fills only: too light for lines on white).</summary>
    public const string Yellow = "#F0E442";
    /// <summary>Mid grey for reference lines.</summary>
    public const string Grey = "#666666";

    /// <summary>The order in which series without an explicit colour are coloured.</summary>
    public static IReadOnlyList<string> Cycle { get; } = [Black, Blue, Vermillion, Green, Orange, Purple, SkyBlue];

    // viridis sampled at i/9, i = 0..9 (matplotlib's table); linear interpolation in between.
    private static readonly (byte R, byte G, byte B)[] Viridis =
    [
        (0x44, 0x01, 0x54), (0x48, 0x28, 0x78), (0x3E, 0x4A, 0x89), (0x31, 0x68, 0x8E), (0x26, 0x82, 0x8E), (0x1F, 0x9E, 0x89),
        (0x35, 0xB7, 0x79), (0x6D, 0xCD, 0x59), (0xB4, 0xDE, 0x2C), (0xFD, 0xE7, 0x25),
    ];

    /// <summary>The viridis colour at <paramref name="t"/> ∈ [0, 1] (clamped) as <c>#rrggbb</c>.</summary>
    public static string ViridisAt(double t)
    {
        var (r, g, b) = ViridisRgb(t);
        return $"#{r:X2}{g:X2}{b:X2}";
    }

    internal static (byte R, byte G, byte B) ViridisRgb(double t)
    {
        if (double.IsNaN(t)) t = 0;
        t = Math.Clamp(t, 0, 1) * (Viridis.Length - 1);
        int i = Math.Min((int)t, Viridis.Length - 2);
        double f = t - i;
        var a = Viridis[i];
        var c = Viridis[i + 1];
        static byte Mix(byte x, byte y, double f) => (byte)Math.Round(x + (y - x) * f, MidpointRounding.AwayFromZero);
        return (Mix(a.R, c.R, f), Mix(a.G, c.G, f), Mix(a.B, c.B, f));
    }

    /// <summary>Relative luminance of a viridis colour, to choose black or white text on it.</summary>
    internal static double Luminance((byte R, byte G, byte B) c) => (0.2126 * c.R + 0.7152 * c.G + 0.0722 * c.B) / 255.0;
}

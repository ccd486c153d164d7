using FastAD.Kernels.Primitives;

namespace FastAD.Stats;

/// <summary>
/// The dimuon bump-hunt binning of SPEC 1.6: SR edges = linspace(SR low, SR high, numBinsSR)
/// (numBinsSR boundaries, numBinsSR - 1 bins of width w); sideband edges step down from the SR low edge
/// and up from the SR high edge by w (numpy arange semantics), dropping an edge beyond the sideband
/// limits. Nominal (12 boundaries): 27 SBL + 37 SBH = 64 sideband bins, 11 SR bins.
/// Counting follows the reference: SBL takes m &lt; SR low, SBH takes m &gt; SR high, each histogrammed
/// with half-open bins and a closed last bin; the SR count takes SR low &lt; m &lt; SR high.
/// </summary>
public sealed class BumpHuntBinning
{
    /// <summary>Creates the binning for the given bands.</summary>
    public BumpHuntBinning(double sbLow, double srLow, double srHigh, double sbHigh, int numBinsSR)
    {
        if (!(sbLow < srLow && srLow < srHigh && srHigh < sbHigh) || !double.IsFinite(sbLow) || !double.IsFinite(sbHigh))
            throw new ArgumentException($"Bands must satisfy SB low < SR low < SR high < SB high (got {sbLow}, {srLow}, {srHigh}, {sbHigh}).");
        if (numBinsSR < 2)
            throw new ArgumentOutOfRangeException(nameof(numBinsSR), $"The SR needs at least 2 bin boundaries (got {numBinsSR}).");
        SbLow = sbLow; SrLow = srLow; SrHigh = srHigh; SbHigh = sbHigh; NumBinsSR = numBinsSR;

        // numpy.linspace: i * step + start, last element set to stop.
        double step = (srHigh - srLow) / (numBinsSR - 1);
        SrEdges = new double[numBinsSR];
        for (int i = 0; i < numBinsSR; i++) SrEdges[i] = i * step + srLow;
        SrEdges[^1] = srHigh;
        Width = SrEdges[1] - SrEdges[0];

        // numpy.arange(srLow, sbLow - w, -w)[::-1], first edge dropped when below sbLow.
        var left = Arange(srLow, sbLow - Width, -Width);
        left.Reverse();
        if (left[0] < sbLow) left.RemoveAt(0);
        var right = Arange(srHigh, sbHigh + Width, Width);
        if (right[^1] > sbHigh) right.RemoveAt(right.Count - 1);
        if (left.Count < 2 || right.Count < 2)
            throw new ArgumentException($"Bands [{sbLow}, {srLow}) and ({srHigh}, {sbHigh}] are narrower than one bin of width {Width}.");
        SblEdges = left.ToArray();
        SbhEdges = right.ToArray();
        Sbl = new BinEdges(SblEdges);
        Sbh = new BinEdges(SbhEdges);
        SbCentres = Centres(SblEdges).Concat(Centres(SbhEdges)).ToArray();
        SrCentres = Centres(SrEdges).ToArray();
    }

    /// <summary>The CMS dimuon bands of SPEC 1.1: SBL [5, 9), SR [9, 10.6), SBH [10.6, 16].</summary>
    public static BumpHuntBinning Dimuon(int numBinsSR = 12) => new(5.0, 9.0, 10.6, 16.0, numBinsSR);

    /// <summary>Lower sideband limit.</summary>
    public double SbLow { get; }
    /// <summary>SR lower edge.</summary>
    public double SrLow { get; }
    /// <summary>SR upper edge.</summary>
    public double SrHigh { get; }
    /// <summary>Upper sideband limit.</summary>
    public double SbHigh { get; }
    /// <summary>Number of SR bin boundaries (12 nominal).</summary>
    public int NumBinsSR { get; }
    /// <summary>Bin width w.</summary>
    public double Width { get; }
    /// <summary>SR bin edges.</summary>
    public double[] SrEdges { get; }
    /// <summary>Lower-sideband edges (ascending, last = SR low).</summary>
    public double[] SblEdges { get; }
    /// <summary>Upper-sideband edges (ascending, first = SR high).</summary>
    public double[] SbhEdges { get; }
    /// <summary>Sideband bin centres, SBL then SBH.</summary>
    public double[] SbCentres { get; }
    /// <summary>SR bin centres.</summary>
    public double[] SrCentres { get; }
    /// <summary>Number of sideband bins.</summary>
    public int SbBins => SbCentres.Length;
    /// <summary>Number of lower-sideband bins.</summary>
    public int SblBins => SblEdges.Length - 1;

    internal BinEdges Sbl { get; }
    internal BinEdges Sbh { get; }

    /// <summary>
    /// The row a mass falls in: 0..SbBins-1 for sideband bins, SbBins for the SR, -1 when counted nowhere
    /// (outside the bins, exactly on an SR edge, or NaN).
    /// </summary>
    public int Row(double m)
    {
        if (m < SrLow)
        {
            int b = Sbl.Find(m);
            return b;
        }
        if (m > SrHigh)
        {
            int b = Sbh.Find(m);
            return b < 0 ? -1 : SblBins + b;
        }
        return m > SrLow && m < SrHigh ? SbBins : -1;
    }

    private static List<double> Arange(double start, double stop, double step)
    {
        int n = (int)Math.Ceiling((stop - start) / step);
        var r = new List<double>(Math.Max(n, 0));
        for (int i = 0; i < n; i++) r.Add(start + i * step);
        return r;
    }

    private static IEnumerable<double> Centres(double[] e)
    {
        for (int i = 0; i + 1 < e.Length; i++) yield return 0.5 * (e[i + 1] + e[i]);
    }

    /// <summary>Equal-width bin edges.</summary>
    public static BinEdges Linear(double low, double high, int bins) => BinEdges.Linear(low, high, bins);

    /// <summary>Log-spaced bin edges (equal ratios) between two positive limits.</summary>
    public static BinEdges Log(double low, double high, int bins)
    {
        if (!(low > 0 && high > low)) throw new ArgumentException($"Log binning needs 0 < low < high (got {low}, {high}).");
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins));
        var e = new double[bins + 1];
        double a = Math.Log10(low), b = Math.Log10(high);
        for (int i = 0; i <= bins; i++) e[i] = Math.Pow(10, a + (b - a) * i / bins);
        e[0] = low;
        e[^1] = high;
        return new BinEdges(e);
    }
}

using FastAD.Analyses.Reports;

namespace FastAD.Analyses.Tests.Reports;

/// <summary>
/// Example figures of the kinds the analyses write, on synthetic data. <see cref="GalleryTests"/> renders them
/// all; set FASTAD_GALLERY_DIR to keep the SVGs (then e.g. <c>rsvg-convert -z 2 x.svg -o x.png</c> to look at them).
/// </summary>
internal static class FigureGallery
{
    internal static IEnumerable<(string Name, Figure Figure)> All()
    {
        yield return ("mass-spectrum", MassSpectrum());
        yield return ("mass-spectrum-points", MassSpectrumPoints());
        yield return ("spectra-grid", SpectraGrid());
        yield return ("significance-vs-fpr", SignificanceVsFpr());
        yield return ("feature-distributions", FeatureDistributions());
        yield return ("cut-scan-heatmap", CutScanHeatmap());
        yield return ("null-distribution", NullDistribution());
    }

    private static double Background(double m) => 5200 * Math.Exp(-0.33 * (m - 5)) + 150;

    private static double[] Linspace(double a, double b, int n) => Enumerable.Range(0, n).Select(i => a + (b - a) * i / (n - 1)).ToArray();

    private static double Poisson(Random rng, double mean)
    {
        // Normal approximation is fine for a picture with means in the hundreds.
        double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Max(0, Math.Round(mean + Math.Sqrt(mean) * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2)));
    }

    internal static Figure MassSpectrum()
    {
        var rng = new Random(7);
        var edges = Linspace(5, 16, 45);
        var centers = edges.Zip(edges.Skip(1), (a, b) => (a + b) / 2).ToArray();
        var counts = centers.Select(m => Poisson(rng, Background(m) * 0.25 + (Math.Abs(m - 9.9) < 0.4 ? 120 : 0))).ToArray();
        var curveX = Linspace(5, 16, 200);
        var curveY = curveX.Select(m => Background(m) * 0.25).ToArray();

        var fig = Figure.WithRatio();
        var main = fig.Main;
        main.Title = "FastAD";
        main.TitleRight = "8.7 fb^{−1} (13 TeV)";
        main.Y.Label = "Events / 0.25 GeV";
        main.VerticalSpan(9, 10.6, "signal region", Palette.Orange, 0.18)
            .Step(edges, counts, "data (SR + sidebands)", Palette.Black, width: 1.4)
            .Line(curveX, curveY, "background fit (degree 5)", Palette.Blue, width: 1.8)
            .Text(0.96, 0.68, "CATHODE, FPR = 1%\nopposite-sign μμ", anchor: TextAnchor.End, fontSize: 12.5);

        var ratio = fig.Ratio;
        ratio.X.Label = "m_{μμ} [GeV]";
        ratio.Y.Label = "data / fit";
        ratio.Y.Limits(0.75, 1.25);
        var r = centers.Select((m, i) => counts[i] / (Background(m) * 0.25)).ToArray();
        var err = centers.Select((m, i) => Math.Sqrt(counts[i]) / (Background(m) * 0.25)).ToArray();
        var half = centers.Select((_, i) => (edges[i + 1] - edges[i]) / 2).ToArray();
        ratio.VerticalSpan(9, 10.6, color: Palette.Orange, opacity: 0.18)
            .HorizontalLine(1, color: Palette.Grey, style: LineStyle.Dashed, width: 1)
            .ErrorBars(centers, r, err, half, markerSize: 4);
        return fig;
    }

    internal static Figure MassSpectrumPoints()
    {
        var rng = new Random(5);
        var edges = Linspace(5, 16, 45);
        var counts = edges.Zip(edges.Skip(1), (a, b) => Poisson(rng, Background((a + b) / 2) * 0.05)).ToArray();
        var x = Linspace(5, 16, 200);
        var fit = x.Select(m => Background(m) * 0.05).ToArray();
        var fig = new Figure(560, 440);
        var p = fig.Main;
        p.Y.Scale = AxisScale.Log;
        p.X.Label = "m_{μμ} [GeV]";
        p.Y.Label = "Events / 0.25 GeV";
        p.TitleRight = "after the CATHODE cut (FPR = 0.1%)";
        p.VerticalSpan(9, 10.6, "SR", Palette.Orange, 0.18)
            .Band(x, fit.Select(v => v * 0.85).ToArray(), fit.Select(v => v * 1.15).ToArray(), "fit ±1σ", Palette.Blue, 0.2)
            .Line(x, fit, "sideband fit", Palette.Blue)
            .PoissonPoints(edges, counts)
            .VerticalLine(9, color: Palette.Grey, width: 0.8).VerticalLine(10.6, color: Palette.Grey, width: 0.8);
        return fig;
    }

    internal static Figure SpectraGrid()
    {
        var rng = new Random(9);
        var edges = Linspace(5, 16, 23);
        double[] fprs = [1, 0.3, 0.1, 0.03, 0.01, 0.003];
        var fig = new Figure(2, 3, 1080, 600) { Title = "dimuon mass after CATHODE cuts" };
        for (int k = 0; k < fprs.Length; k++)
        {
            var p = fig[k / 3, k % 3];
            var counts = edges.Zip(edges.Skip(1), (a, b) => Poisson(rng, Background((a + b) / 2) * fprs[k] * 0.5)).ToArray();
            var x = Linspace(5, 16, 100);
            p.VerticalSpan(9, 10.6, k == 0 ? "signal region" : null, Palette.Orange, 0.18)
                .PoissonPoints(edges, counts, k == 0 ? "data" : null, markerSize: 3.5)
                .Line(x, x.Select(m => Background(m) * fprs[k] * 0.5).ToArray(), k == 0 ? "sideband fit" : null, Palette.Vermillion);
            p.Title = $"FPR {fprs[k].ToString(System.Globalization.CultureInfo.InvariantCulture)}";
            p.Text(0.97, 0.93, $"Z = {0.4 * k:F2}σ\nN_{{SR}} = {counts.Skip(8).Take(3).Sum():F0}", anchor: TextAnchor.End, fontSize: 12);
            p.X.Label = "m_{μμ} [GeV]";
            p.Y.Label = k % 3 == 0 ? "events / 0.5 GeV" : null;
            p.Y.Min = 0;
        }
        return fig;
    }

    internal static Figure SignificanceVsFpr()
    {
        var fpr = new[] { 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1 };
        var fig = new Figure(600, 420);
        var p = fig.Main;
        p.X.Label = "background efficiency (FPR)";
        p.X.Scale = AxisScale.Log;
        p.Y.Label = "Z [σ]";
        p.Y.Limits(0, 7);
        double Curve(double f, double peak, double where) => Math.Max(0, peak * Math.Exp(-Math.Pow(Math.Log10(f) - where, 2) / 1.6));
        p.Band(fpr, fpr.Select(f => Curve(f, 3.8, -2.4) - 0.6).ToArray(), fpr.Select(f => Curve(f, 3.8, -2.4) + 0.6).ToArray(), "CATHODE ±1σ (toys)", Palette.Blue, 0.18);
        p.Line(fpr, fpr.Select(f => Curve(f, 3.8, -2.4)).ToArray(), "CATHODE (BDT)", Palette.Blue, marker: Marker.Circle, markerSize: 5);
        p.Line(fpr, fpr.Select(f => Curve(f, 3.1, -2.0)).ToArray(), "CATHODE (MLP)", Palette.Vermillion, LineStyle.Dashed, marker: Marker.Square, markerSize: 5);
        p.Line(fpr, fpr.Select(f => Curve(f, 2.2, -1.6)).ToArray(), "idealised AD", Palette.Green, LineStyle.DashDot, marker: Marker.Triangle, markerSize: 6);
        p.Line(fpr, fpr.Select(f => Curve(f, 1.4, -0.8) + 0.4).ToArray(), "cut on m_{μμ} only", Palette.Black, LineStyle.Dotted, marker: Marker.Diamond, markerSize: 6);
        p.HorizontalLine(5, "5σ", color: Palette.Grey);
        p.PValueAxis("p-value (local)");
        return fig;
    }

    internal static Figure FeatureDistributions()
    {
        var rng = new Random(3);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var fig = new Figure(1, 3, 1080, 320);
        (string Label, double Lo, double Hi, Func<double> Sb, Func<double> Sig)[] features =
        [
            ("p_{T}^{μμ} [GeV]", 0, 100, () => Math.Abs(25 + 18 * Normal()), () => Math.Abs(45 + 12 * Normal())),
            ("η^{μμ}", -2.5, 2.5, () => 1.1 * Normal(), () => 0.6 * Normal()),
            ("ΔR_{μμ}", 0, 4, () => Math.Abs(1.6 + 0.8 * Normal()), () => Math.Abs(0.8 + 0.3 * Normal())),
        ];
        for (int c = 0; c < 3; c++)
        {
            var (label, lo, hi, sb, sig) = features[c];
            var edges = Linspace(lo, hi, 31);
            var p = fig[0, c];
            p.X.Label = label;
            p.Y.Label = c == 0 ? "normalised to unit area" : null;
            p.Histogram(Enumerable.Range(0, 20000).Select(_ => sb()).ToArray(), edges, "sidebands", Palette.Blue, normalize: true, fill: Palette.Blue, fillOpacity: 0.15);
            p.Histogram(Enumerable.Range(0, 20000).Select(_ => sb()).ToArray(), edges, "flow samples", Palette.Vermillion, normalize: true, style: LineStyle.Dashed);
            p.Histogram(Enumerable.Range(0, 5000).Select(_ => sig()).ToArray(), edges, "signal", Palette.Black, normalize: true, width: 1.2);
            p.Legend = c == 2 ? LegendPosition.OutsideRight : LegendPosition.None;
        }
        return fig;
    }

    internal static Figure CutScanHeatmap()
    {
        var fig = new Figure(560, 480);
        var p = fig.Main;
        var fprLabels = new[] { "10⁻⁴", "3×10⁻⁴", "10⁻³", "3×10⁻³", "0.01", "0.03", "0.1", "0.2", "0.5", "1" };
        var ptLabels = Enumerable.Range(0, 10).Select(i => (5 * i).ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var rows = new List<double[]>();
        for (int iy = 0; iy < 10; iy++)
            rows.Add(Enumerable.Range(0, 10).Select(ix => 3.6 * Math.Exp(-(Math.Pow(ix - 3.2, 2) + Math.Pow(iy - 5.5, 2)) / 14) - 0.3).ToArray());
        rows[0][0] = double.NaN;
        p.Heatmap(fprLabels, ptLabels, Panel.Matrix(rows), "Z [σ]", cellFormat: "F1");
        p.X.Label = "FPR (BDT cut)";
        p.Y.Label = "p_{T}^{μμ} threshold [GeV]";
        p.Title = "cut scan: local significance";
        return fig;
    }

    internal static Figure NullDistribution()
    {
        var rng = new Random(11);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var q0 = Enumerable.Range(0, 100_000).Select(_ => Math.Max(0, Normal()) is var z && z > 0 ? z * z : 0).ToArray();
        var edges = Linspace(0, 20, 41);
        var fig = new Figure(560, 420);
        var p = fig.Main;
        p.Y.Scale = AxisScale.Log;
        p.X.Label = "q_{0}";
        p.Y.Label = "probability density";
        // q0 = 0 (half the toys) is a δ at zero: leave it out of the density and say so in the label.
        var positive = q0.Where(v => v > 0).ToArray();
        var counts = Panel.Count(positive, edges);
        var density = counts.Select((c, i) => c / (q0.Length * (edges[i + 1] - edges[i]))).ToArray();
        p.Step(edges, density, $"toys (n = {q0.Length:N0}, q_{{0}} > 0)", Palette.Blue, fill: Palette.Blue, fillOpacity: 0.15);
        var x = Linspace(0.05, 20, 300);
        p.Line(x, x.Select(v => 0.5 * Math.Exp(-v / 2) / Math.Sqrt(2 * Math.PI * v)).ToArray(), "½ χ²_{1} (asymptotic)", Palette.Vermillion, LineStyle.Dashed, 1.8);
        p.VerticalLine(9.3, "observed q_{0} = 9.3", color: Palette.Black, style: LineStyle.Solid, width: 1.2);
        p.Text(0.96, 0.62, $"P(q_{{0}} = 0) = {q0.Count(v => v == 0) / (double)q0.Length:F3}", anchor: TextAnchor.End, fontSize: 12.5);
        return fig;
    }
}

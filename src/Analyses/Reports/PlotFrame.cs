namespace FastAD.Analyses.Reports;

/// <summary>The plot area of a panel in pixels and the mapping from data to pixels.</summary>
internal sealed class PlotFrame(double x0, double y0, double width, double height, Axis x, Axis y)
{
    public double X0 { get; } = x0;
    public double Y0 { get; } = y0;
    public double Width { get; } = width;
    public double Height { get; } = height;
    public Axis X { get; } = x;
    public Axis Y { get; } = y;

    // Values a log axis cannot show land well outside the frame (and are clipped) instead of at infinity.
    private static double Clamp(double f) => double.IsNaN(f) ? f : Math.Clamp(f, -3, 4);
    public double Px(double v) => X0 + Clamp(X.Fraction(v)) * Width;
    public double Py(double v) => Y0 + Height - Clamp(Y.Fraction(v)) * Height;
    public double AxesX(double f) => X0 + f * Width;
    public double AxesY(double f) => Y0 + Height - f * Height;
}

namespace FastAD.Analyses.Reports;

/// <summary>Line dash pattern.</summary>
public enum LineStyle
{
    /// <summary>Solid line.</summary>
    Solid,
    /// <summary>Dashed line.</summary>
    Dashed,
    /// <summary>Dotted line.</summary>
    Dotted,
    /// <summary>Dash-dot line.</summary>
    DashDot,
}

/// <summary>Marker shape.</summary>
public enum Marker
{
    /// <summary>No marker.</summary>
    None,
    /// <summary>Filled circle.</summary>
    Circle,
    /// <summary>Filled square.</summary>
    Square,
    /// <summary>Filled upward triangle.</summary>
    Triangle,
    /// <summary>Filled diamond.</summary>
    Diamond,
    /// <summary>Open circle.</summary>
    OpenCircle,
}

/// <summary>Where a text annotation's coordinates live.</summary>
public enum Coordinates
{
    /// <summary>Data units of the panel's axes.</summary>
    Data,
    /// <summary>Fractions of the plot area: (0, 0) lower left, (1, 1) upper right.</summary>
    Axes,
}

/// <summary>Horizontal anchoring of text.</summary>
public enum TextAnchor
{
    /// <summary>Text starts at the point.</summary>
    Start,
    /// <summary>Text is centred on the point.</summary>
    Middle,
    /// <summary>Text ends at the point.</summary>
    End,
}

using FastAD.Data;

namespace FastAD.Analyses;

/// <summary>
/// What the analyses' <c>columns</c> sections share: <c>derive</c>, columns computed from the file's before any is used,
/// <c>NAME = EXPRESSION</c> in order (<see cref="DerivedColumns"/>; grammar in docs/DATA.md), e.g. the dijet mass and τ21
/// of the LHC Olympics R&amp;D file. Absent by default, and then not written, so that a configuration's YAML (and the
/// digests of it) stay as they were.
/// </summary>
public abstract class DerivingColumnsSection
{
    /// <summary>The definitions, or null for none.</summary>
    [YamlDotNet.Serialization.YamlMember(DefaultValuesHandling = YamlDotNet.Serialization.DefaultValuesHandling.OmitNull)]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? Derive { get; set; }

    /// <summary><paramref name="table"/> with the derived columns added (errors name <paramref name="source"/>).</summary>
    public EventTable WithDerived(EventTable table, string source) =>
        Derive is { Count: > 0 } definitions ? DerivedColumns.Apply(table, definitions, source) : table;
}

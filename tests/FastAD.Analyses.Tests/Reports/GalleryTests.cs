using System.Xml.Linq;
using FastAD.Analyses.Reports;
using Xunit;

namespace FastAD.Analyses.Tests.Reports;

public class GalleryTests
{
    [Fact]
    public void EveryGalleryFigureIsWellFormedSvgAndRendersTheSameTwice()
    {
        string dir = Environment.GetEnvironmentVariable("FASTAD_GALLERY_DIR") is { Length: > 0 } d ? d : Path.Combine(Path.GetTempPath(), $"fastad-gallery-{Environment.ProcessId}");
        foreach (var (name, figure) in FigureGallery.All())
        {
            string svg = figure.ToSvg();
            var doc = XDocument.Parse(svg);
            Assert.Equal("svg", doc.Root!.Name.LocalName);
            Assert.Equal(svg, figure.ToSvg());
            Assert.Contains(doc.Descendants(), e => (string?)e.Attribute("class") == "frame");
            figure.Save(Path.Combine(dir, name + ".svg"));
        }
        if (Environment.GetEnvironmentVariable("FASTAD_GALLERY_DIR") is not { Length: > 0 }) Directory.Delete(dir, recursive: true);
    }
}

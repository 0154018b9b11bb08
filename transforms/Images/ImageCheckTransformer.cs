using Microsoft.ML;
using Microsoft.ML.Data;
using Vlm.Datasets.Images;
using Vlm.Transforms.Data;

namespace Vlm.Transforms.Images;

/// <summary>
/// Resolves each row's <c>image</c> under <see cref="ImageRoot"/> and checks it (see
/// <see cref="ImageReference.Resolve"/>): <c>image</c> becomes the normalised relative path,
/// <c>image_sha256</c> its content hash, and a bad image sets <c>reject_reason</c>. Rows without an
/// image (text-only) and rows already rejected pass unchanged.
/// </summary>
public sealed class ImageCheckTransformer(string imageRoot, long maxPixels = ImageDecoder.DefaultMaxPixels) : ColumnMappingTransformer
{
    public string ImageRoot { get; } = imageRoot;
    /// <summary>Images over this many pixels (by their header) are rejected before decoding.</summary>
    public long MaxPixels { get; } = maxPixels;

    public override IReadOnlyList<OutputColumn> Outputs { get; } =
    [
        new(VlmColumns.Image, TextDataViewType.Instance),
        new(VlmColumns.ImageSha256, TextDataViewType.Instance),
        new(VlmColumns.RejectReason, TextDataViewType.Instance),
    ];

    private protected override void CheckInput(DataViewSchema input) => Require(input, VlmColumns.Image, TextDataViewType.Instance);

    private protected override Delegate[] CreateGetters(DataViewRow input)
    {
        var image = RowGetters.ReadText(input, VlmColumns.Image);
        var prior = PriorRejectReason(input);
        var checkedImage = new RowCache<(string Path, ImageReference? Reference, string Reject)>(input, () =>
        {
            string reject = prior(), path = image();
            if (reject.Length > 0 || path.Length == 0) return (path, null, reject);
            var reference = ImageReference.Resolve(ImageRoot, path, MaxPixels);
            return (reference.RelativePath, reference, reference.IsRejected ? $"{reference.RejectReason}: {path}" : "");
        });
        return
        [
            RowGetters.Text(() => checkedImage.Value.Path),
            RowGetters.Text(() => checkedImage.Value.Reference?.Sha256 ?? ""),
            RowGetters.Text(() => checkedImage.Value.Reject),
        ];
    }
}

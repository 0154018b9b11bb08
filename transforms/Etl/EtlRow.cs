using Microsoft.ML;
using Vlm.Datasets.Shards;
using Vlm.Transforms.Data;

namespace Vlm.Transforms.Etl;

/// <summary>Reads the columns of the ETL steps' output from a cursor's current row into a shard row or a reject.</summary>
internal sealed class EtlRow(DataViewRow row)
{
    readonly Func<string> _id = RowGetters.ReadText(row, VlmColumns.Id),
        _source = RowGetters.ReadText(row, VlmColumns.Source),
        _file = RowGetters.ReadText(row, VlmColumns.File),
        _image = RowGetters.ReadText(row, VlmColumns.Image),
        _sha256 = RowGetters.ReadText(row, VlmColumns.ImageSha256),
        _text = RowGetters.ReadText(row, VlmColumns.Text),
        _reject = RowGetters.ReadText(row, VlmColumns.RejectReason);
    readonly ValueGetter<long> _index = row.GetGetter<long>(row.Schema[VlmColumns.RecordIndex]);
    readonly ValueGetter<int> _imageTokens = row.GetGetter<int>(row.Schema[VlmColumns.NumImageTokens]);
    readonly ValueGetter<bool> _truncated = row.GetGetter<bool>(row.Schema[VlmColumns.Truncated]);
    readonly Func<int[]> _ids = RowGetters.ReadInt32s(row, VlmColumns.InputIds), _labels = RowGetters.ReadInt32s(row, VlmColumns.Labels);

    public string RejectReason() => _reject();

    public string Id() => _id();

    public bool Truncated()
    {
        bool value = false;
        _truncated(ref value);
        return value;
    }

    public ShardRow ToShardRow()
    {
        int imageTokens = 0;
        _imageTokens(ref imageTokens);
        string image = _image();
        return new ShardRow
        {
            Id = _id(),
            Source = _source(),
            Image = image.Length == 0 ? null : image,
            ImageSha256 = image.Length == 0 ? null : _sha256(),
            InputIds = [.. _ids()],
            Labels = [.. _labels()],
            NumImageTokens = imageTokens,
            Text = _text(),
        };
    }

    public RejectedRecord ToRejectedRecord(string reason)
    {
        long index = 0;
        _index(ref index);
        string id = _id();
        return new RejectedRecord(_file(), index, id.Length == 0 ? null : id, reason);
    }
}

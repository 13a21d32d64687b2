package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// StreamFunction is a Lambda function on a DynamoDB stream, invoked with the
// JSON event and answering the JSON response, as the Lambda service does.
func StreamFunction(h func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error)) InvokeFunc {
	return func(ctx context.Context, payload []byte) ([]byte, error) {
		var ev events.DynamoDBEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("decode event: %w", err)
		}
		resp, err := h(ctx, ev)
		if err != nil {
			return nil, err
		}
		return json.Marshal(resp)
	}
}

// NewStreamsClient is a DynamoDB Streams client, at endpoint when it is not
// empty (DynamoDB Local serves streams on its own port).
func NewStreamsClient(cfg aws.Config, endpoint string) *dynamodbstreams.Client {
	return dynamodbstreams.NewFromConfig(cfg, func(o *dynamodbstreams.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}

// StreamPoller stands in for a Lambda event source mapping on the table's
// stream: it reads every shard from where the stream was when it opened
// (LATEST), hands the function batches of records in the event Lambda sends,
// retries a failed batch from its first failed record (ReportBatchItemFailures)
// with backoff, and after Retries retries logs it as dead-lettered, where AWS
// would send it to the on-failure queue, and goes on.
type StreamPoller struct {
	DB       *dynamodb.Client
	Streams  *dynamodbstreams.Client
	Table    string
	Function InvokeFunc
	// Filter keeps the records the function wants, as the mapping's filter
	// criteria do; nil keeps all.
	Filter    func(events.DynamoDBEventRecord) bool
	BatchSize int           // default 10
	Retries   int           // default 10
	Interval  time.Duration // between polls of a quiet shard; default 200 ms
	Backoff   time.Duration // before the first retry, doubled each time (at most 5 s); default 200 ms
	Log       *slog.Logger
	// Checkpoint, when set, is a file where the poller keeps how far it got
	// in every shard, as an event source mapping does: after a batch
	// succeeded (or was dead-lettered). A poller started again (a killed
	// process) resumes from there, so a batch cut short is delivered again,
	// whole, and nothing written meanwhile is skipped. Without it a poller
	// starts at the stream's end.
	Checkpoint string

	arn       string
	shards    map[string]*shardReader
	order     []string // shards in the order the stream lists them: parents first
	described time.Time
}

type shardReader struct {
	id, parent string
	start      types.ShardIteratorType // where to begin when nothing was read yet
	iterator   *string
	lastSeq    string
	done       bool // closed and read to its end, or closed before the poller opened
}

// describeEvery is how often the poller looks for new shards.
const describeEvery = time.Second

// Open finds the table's stream and places the poller at its end. Run opens
// it when needed; tests call Open first to know that later writes are seen.
func (p *StreamPoller) Open(ctx context.Context) error {
	out, err := p.DB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(p.Table)})
	if err != nil {
		return fmt.Errorf("describe table %s: %w", p.Table, err)
	}
	if out.Table.LatestStreamArn == nil {
		return fmt.Errorf("table %s has no stream", p.Table)
	}
	p.arn, p.shards, p.order = aws.ToString(out.Table.LatestStreamArn), map[string]*shardReader{}, nil
	start := types.ShardIteratorTypeLatest
	if resumed, err := p.resume(); err != nil {
		return err
	} else if resumed {
		// Shards the checkpoint does not know were born after it: from their start.
		start = types.ShardIteratorTypeTrimHorizon
	}
	if err := p.describe(ctx, start); err != nil {
		p.arn = ""
		return err
	}
	// LATEST is where the shard is when its iterator is made: make them now.
	for _, sh := range p.shards {
		if !sh.done {
			if err := p.iterator(ctx, sh); err != nil {
				p.arn = ""
				return err
			}
		}
	}
	p.log().Info("stream poller open", "table", p.Table, "stream", p.arn, "shards", len(p.shards))
	return p.save()
}

// checkpoint is the Checkpoint file's content.
type checkpoint struct {
	Stream string            `json:"stream"`
	Shards []shardCheckpoint `json:"shards"`
}

type shardCheckpoint struct {
	ID      string `json:"id"`
	Parent  string `json:"parent,omitempty"`
	LastSeq string `json:"lastSeq,omitempty"`
	Done    bool   `json:"done,omitempty"`
}

// resume loads the checkpoint of the stream p.arn, if there is one.
func (p *StreamPoller) resume() (bool, error) {
	if p.Checkpoint == "" {
		return false, nil
	}
	b, err := os.ReadFile(p.Checkpoint)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read checkpoint: %w", err)
	}
	var c checkpoint
	if err := json.Unmarshal(b, &c); err != nil {
		return false, fmt.Errorf("read checkpoint %s: %w", p.Checkpoint, err)
	}
	if c.Stream != p.arn {
		return false, nil // another table's, or the table was recreated
	}
	for _, sc := range c.Shards {
		// A shard read up to nothing yet starts where LATEST was when it
		// was opened, which is gone now: its start is the closest.
		p.shards[sc.ID] = &shardReader{id: sc.ID, parent: sc.Parent, start: types.ShardIteratorTypeTrimHorizon, lastSeq: sc.LastSeq, done: sc.Done}
		p.order = append(p.order, sc.ID)
	}
	p.log().Info("stream poller resumes from its checkpoint", "table", p.Table, "checkpoint", p.Checkpoint, "shards", len(c.Shards))
	return true, nil
}

// save writes the checkpoint, atomically.
func (p *StreamPoller) save() error {
	if p.Checkpoint == "" {
		return nil
	}
	c := checkpoint{Stream: p.arn}
	for _, id := range p.order {
		sh := p.shards[id]
		c.Shards = append(c.Shards, shardCheckpoint{ID: id, Parent: sh.parent, LastSeq: sh.lastSeq, Done: sh.done})
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	tmp := p.Checkpoint + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	return os.Rename(tmp, p.Checkpoint)
}

// Run polls until ctx ends, then returns nil. Failures to reach the stream
// are logged and retried: DynamoDB Local may restart under it.
func (p *StreamPoller) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		if err := p.round(ctx); err != nil && ctx.Err() == nil {
			p.log().Warn("stream poller", "table", p.Table, "error", err.Error())
			var gone *types.ResourceNotFoundException
			if errors.As(err, &gone) {
				p.arn = "" // the table was deleted or recreated: find its stream again
			}
			_ = sleepCtx(ctx, time.Second)
			continue
		}
		_ = sleepCtx(ctx, p.interval())
	}
	return nil
}

// round reads every readable shard until it has nothing more.
func (p *StreamPoller) round(ctx context.Context) error {
	if p.arn == "" {
		if err := p.Open(ctx); err != nil {
			return err
		}
	}
	if time.Since(p.described) > describeEvery {
		// Shards found after opening are new: read them from their start.
		if err := p.describe(ctx, types.ShardIteratorTypeTrimHorizon); err != nil {
			return err
		}
	}
	for _, id := range p.order {
		sh := p.shards[id]
		if sh.done || !p.parentDone(sh) {
			continue
		}
		for {
			n, err := p.poll(ctx, sh)
			if err != nil {
				return err
			}
			if n < p.batchSize() || sh.done {
				break
			}
		}
	}
	return nil
}

func (p *StreamPoller) parentDone(sh *shardReader) bool {
	parent, ok := p.shards[sh.parent]
	return !ok || parent.done
}

// describe adds the shards it has not seen yet, to begin at start.
func (p *StreamPoller) describe(ctx context.Context, start types.ShardIteratorType) error {
	in := &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(p.arn)}
	added := false
	for {
		out, err := p.Streams.DescribeStream(ctx, in)
		if err != nil {
			return fmt.Errorf("describe stream: %w", err)
		}
		for _, s := range out.StreamDescription.Shards {
			id := aws.ToString(s.ShardId)
			if _, ok := p.shards[id]; ok {
				continue
			}
			closed := s.SequenceNumberRange != nil && s.SequenceNumberRange.EndingSequenceNumber != nil
			p.shards[id] = &shardReader{id: id, parent: aws.ToString(s.ParentShardId), start: start,
				done: closed && start == types.ShardIteratorTypeLatest}
			p.order = append(p.order, id)
			added = true
		}
		if out.StreamDescription.LastEvaluatedShardId == nil {
			break
		}
		in.ExclusiveStartShardId = out.StreamDescription.LastEvaluatedShardId
	}
	p.described = time.Now()
	if added && p.arn != "" && len(p.shards) > 0 {
		return p.save()
	}
	return nil
}

// iterator places sh after the last record read, or at its start.
func (p *StreamPoller) iterator(ctx context.Context, sh *shardReader) error {
	in := &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(p.arn), ShardId: aws.String(sh.id), ShardIteratorType: sh.start}
	if sh.lastSeq != "" {
		in.ShardIteratorType, in.SequenceNumber = types.ShardIteratorTypeAfterSequenceNumber, aws.String(sh.lastSeq)
	}
	out, err := p.Streams.GetShardIterator(ctx, in)
	if err != nil {
		return fmt.Errorf("shard iterator %s: %w", sh.id, err)
	}
	sh.iterator = out.ShardIterator
	return nil
}

// poll reads one batch of sh and delivers it. It returns how many records
// it read.
func (p *StreamPoller) poll(ctx context.Context, sh *shardReader) (int, error) {
	if sh.iterator == nil {
		if err := p.iterator(ctx, sh); err != nil {
			return 0, err
		}
	}
	out, err := p.Streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: sh.iterator, Limit: aws.Int32(int32(p.batchSize()))})
	var expired *types.ExpiredIteratorException
	var trimmed *types.TrimmedDataAccessException
	switch {
	case errors.As(err, &expired):
		sh.iterator = nil // a new one from the last record read
		return 0, nil
	case errors.As(err, &trimmed):
		if sh.lastSeq != "" {
			p.log().Error("stream records expired before they were read", "shard", sh.id, "after_sequence", sh.lastSeq)
		}
		// Otherwise this is DynamoDB Local, which answers so for a LATEST
		// iterator made while the shard was empty: its start is then where
		// LATEST was.
		sh.iterator, sh.lastSeq, sh.start = nil, "", types.ShardIteratorTypeTrimHorizon
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("get records %s: %w", sh.id, err)
	}
	var batch []events.DynamoDBEventRecord
	for _, r := range out.Records {
		e := eventRecord(r, p.arn)
		if p.Filter == nil || p.Filter(e) {
			batch = append(batch, e)
		}
	}
	if len(batch) > 0 {
		if err := p.deliver(ctx, sh, batch); err != nil {
			return 0, err
		}
	}
	if n := len(out.Records); n > 0 {
		sh.lastSeq = aws.ToString(out.Records[n-1].Dynamodb.SequenceNumber)
	}
	sh.iterator = out.NextShardIterator
	if sh.iterator == nil {
		sh.done = true
		p.described = time.Time{} // look for its children now
	}
	if len(out.Records) > 0 || sh.done {
		if err := p.save(); err != nil {
			return 0, err
		}
	}
	return len(out.Records), nil
}

// deliver invokes the function until the batch succeeds, retrying from the
// first failed record, or until the retries run out.
func (p *StreamPoller) deliver(ctx context.Context, sh *shardReader, batch []events.DynamoDBEventRecord) error {
	backoff := p.backoff()
	for retry := 0; ; retry++ {
		failed, err := p.invoke(ctx, batch)
		if failed < 0 {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		batch = batch[failed:]
		log := p.log().With("shard", sh.id, "first_sequence", batch[0].Change.SequenceNumber,
			"last_sequence", batch[len(batch)-1].Change.SequenceNumber, "records", len(batch), "error", fmt.Sprint(err))
		if retry == p.retries() {
			log.Error("stream batch dead-lettered: its retries are exhausted", "retries", retry)
			return nil
		}
		log.Warn("stream batch failed, retrying", "retry", retry+1)
		if err := sleepCtx(ctx, backoff); err != nil {
			return err
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// invoke runs the function on the batch. It returns the index of the first
// record to retry, or -1 when all succeeded. As in Lambda, an error or an
// unknown item identifier fails the whole batch, and otherwise the earliest
// failed record is where the retry starts.
func (p *StreamPoller) invoke(ctx context.Context, batch []events.DynamoDBEventRecord) (int, error) {
	payload, err := json.Marshal(events.DynamoDBEvent{Records: batch})
	if err != nil {
		return 0, err
	}
	out, err := p.Function(ctx, payload)
	if err != nil {
		return 0, err
	}
	var resp events.DynamoDBEventResponse
	if len(out) > 0 {
		if err := json.Unmarshal(out, &resp); err != nil {
			return 0, fmt.Errorf("decode response: %w", err)
		}
	}
	first := -1
	for _, f := range resp.BatchItemFailures {
		i := indexOf(batch, f.ItemIdentifier)
		if i < 0 {
			return 0, fmt.Errorf("unknown item identifier %q in the response", f.ItemIdentifier)
		}
		if first < 0 || i < first {
			first = i
		}
	}
	if first >= 0 {
		return first, fmt.Errorf("record %s reported failed", batch[first].Change.SequenceNumber)
	}
	return -1, nil
}

func indexOf(batch []events.DynamoDBEventRecord, seq string) int {
	for i, r := range batch {
		if seq != "" && r.Change.SequenceNumber == seq {
			return i
		}
	}
	return -1
}

func (p *StreamPoller) batchSize() int          { return orDefault(p.BatchSize, 10) }
func (p *StreamPoller) retries() int            { return orDefault(p.Retries, 10) }
func (p *StreamPoller) interval() time.Duration { return orDefault(p.Interval, 200*time.Millisecond) }
func (p *StreamPoller) backoff() time.Duration  { return orDefault(p.Backoff, 200*time.Millisecond) }
func orDefault[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

func (p *StreamPoller) log() *slog.Logger {
	if p.Log == nil {
		return slog.Default()
	}
	return p.Log
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// eventRecord is a stream record in the shape Lambda gives the function.
func eventRecord(r types.Record, streamARN string) events.DynamoDBEventRecord {
	e := events.DynamoDBEventRecord{
		AWSRegion:      aws.ToString(r.AwsRegion),
		EventID:        aws.ToString(r.EventID),
		EventName:      string(r.EventName),
		EventSource:    aws.ToString(r.EventSource),
		EventVersion:   aws.ToString(r.EventVersion),
		EventSourceArn: streamARN,
	}
	if r.UserIdentity != nil {
		e.UserIdentity = &events.DynamoDBUserIdentity{Type: aws.ToString(r.UserIdentity.Type), PrincipalID: aws.ToString(r.UserIdentity.PrincipalId)}
	}
	if d := r.Dynamodb; d != nil {
		e.Change = events.DynamoDBStreamRecord{
			Keys:           image(d.Keys),
			NewImage:       image(d.NewImage),
			OldImage:       image(d.OldImage),
			SequenceNumber: aws.ToString(d.SequenceNumber),
			SizeBytes:      aws.ToInt64(d.SizeBytes),
			StreamViewType: string(d.StreamViewType),
		}
		if d.ApproximateCreationDateTime != nil {
			e.Change.ApproximateCreationDateTime = events.SecondsEpochTime{Time: *d.ApproximateCreationDateTime}
		}
	}
	return e
}

func image(m map[string]types.AttributeValue) map[string]events.DynamoDBAttributeValue {
	if m == nil {
		return nil
	}
	out := make(map[string]events.DynamoDBAttributeValue, len(m))
	for k, v := range m {
		out[k] = attribute(v)
	}
	return out
}

func attribute(v types.AttributeValue) events.DynamoDBAttributeValue {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value)
	case *types.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value)
	case *types.AttributeValueMemberB:
		return events.NewBinaryAttribute(v.Value)
	case *types.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(v.Value)
	case *types.AttributeValueMemberSS:
		return events.NewStringSetAttribute(v.Value)
	case *types.AttributeValueMemberNS:
		return events.NewNumberSetAttribute(v.Value)
	case *types.AttributeValueMemberBS:
		return events.NewBinarySetAttribute(v.Value)
	case *types.AttributeValueMemberM:
		return events.NewMapAttribute(image(v.Value))
	case *types.AttributeValueMemberL:
		l := make([]events.DynamoDBAttributeValue, len(v.Value))
		for i, e := range v.Value {
			l[i] = attribute(e)
		}
		return events.NewListAttribute(l)
	}
	// NULL, and any type added to DynamoDB later.
	return events.NewNullAttribute()
}

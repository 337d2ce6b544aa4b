package governance.bench;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Produced;

/**
 * The Kafka Streams quality filter bench/sentinel.py measures the sentinel against (path e):
 * valid records to one topic, the rest with DLQ headers to another, exactly once.
 *
 * <p>It stops once it has processed TARGET records and its group's committed offsets on the
 * source add up to TARGET (the source must start at offset 0 with no transaction markers, as the
 * bench's does), and prints one {@code BENCH-RESULT} JSON line timed from the first record
 * processed to the commit covering the last.
 */
public final class QualityFilter {

    private static final String USAGE = "usage: java -jar kstreams-filter.jar BOOTSTRAP REGISTRY SOURCE VALID DLQ"
            + " APPLICATION_ID TARGET [COMMIT_INTERVAL_MS=1000] [THREADS=1] [FORMAT=avro|protobuf]";

    public static void main(String[] args) throws Exception {
        if (args.length < 7 || args.length > 10) {
            System.err.println(USAGE);
            System.exit(2);
        }
        String bootstrap = args[0];
        String source = args[2];
        String appId = args[5];
        long target = Long.parseLong(args[6]);
        int commitMs = args.length > 7 ? Integer.parseInt(args[7]) : 1000;
        int threads = args.length > 8 ? Integer.parseInt(args[8]) : 1;

        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitMs);
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");

        Tally tally = new Tally(target);
        KafkaStreams streams = new KafkaStreams(topology(args, tally), props);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        streams.setUncaughtExceptionHandler(e -> {
            failure.set(e);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        streams.start();

        long doneNanos;
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            while (!tally.reached.await(50, TimeUnit.MILLISECONDS)) {
                checkRunning(streams, failure);
            }
            while (committed(admin, appId, source) < target) {
                checkRunning(streams, failure);
                Thread.sleep(50);
            }
            doneNanos = System.nanoTime();
        }
        System.out.printf(Locale.ROOT, "BENCH-RESULT {\"records\": %d, \"seconds\": %.6f, \"valid\": %d, \"invalid\": %d, \"first_ms\": %d}%n",
                target, (doneNanos - tally.firstNanos.get()) / 1e9, tally.valid.get(), tally.invalid.get(), tally.firstMs);
        System.out.flush();
        streams.close(Duration.ofSeconds(30));
        streams.cleanUp();
    }

    private static void checkRunning(KafkaStreams streams, AtomicReference<Throwable> failure) {
        if (failure.get() != null || !streams.state().isRunningOrRebalancing()) {
            streams.close(Duration.ofSeconds(30));
            throw new IllegalStateException("Kafka Streams stopped in state " + streams.state(), failure.get());
        }
    }

    static Topology topology(String[] args, Tally tally) {
        String registry = args[1];
        String source = args[2];
        String valid = args[3];
        String dlq = args[4];
        String format = args.length > 9 ? args[9] : "avro";
        Registry schemas = new Registry(registry);
        PaymentDecoder.forFormat(format, schemas); // an unknown FORMAT fails here, before any record
        Produced<byte[], byte[]> bytes = Produced.with(Serdes.ByteArray(), Serdes.ByteArray());

        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(source, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .processValues(() -> new PaymentJudge(PaymentDecoder.forFormat(format, schemas), tally))
                .split()
                .branch((key, judged) -> judged.valid(), Branched.withConsumer(to(valid, bytes)))
                .defaultBranch(Branched.withConsumer(to(dlq, bytes)));
        return builder.build();
    }

    private static Consumer<KStream<byte[], PaymentJudge.Judged>> to(
            String topic, Produced<byte[], byte[]> produced) {
        return branch -> branch.mapValues(PaymentJudge.Judged::value).to(topic, produced);
    }

    private static long committed(Admin admin, String group, String topic) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get();
        return offsets.entrySet().stream()
                .filter(e -> e.getKey().topic().equals(topic))
                .filter(e -> e.getValue() != null)
                .mapToLong(e -> e.getValue().offset())
                .sum();
    }

    /** What the processors of all stream threads have seen. */
    static final class Tally {
        final long target;
        final AtomicLong valid = new AtomicLong();
        final AtomicLong invalid = new AtomicLong();
        final AtomicLong firstNanos = new AtomicLong();
        final CountDownLatch reached = new CountDownLatch(1);
        volatile long firstMs;

        Tally(long target) {
            this.target = target;
        }

        void started() {
            if (firstNanos.get() == 0 && firstNanos.compareAndSet(0, System.nanoTime())) {
                firstMs = System.currentTimeMillis();
            }
        }

        void processed(boolean ok) {
            (ok ? valid : invalid).incrementAndGet();
            if (valid.get() + invalid.get() >= target) {
                reached.countDown();
            }
        }
    }
}

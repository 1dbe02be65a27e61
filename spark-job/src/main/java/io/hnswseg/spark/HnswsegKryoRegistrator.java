package io.hnswseg.spark;

import com.esotericsoftware.kryo.Kryo;
import org.apache.spark.serializer.KryoRegistrator;

/** Registers the job's own types with Kryo (the job runs with {@code spark.kryo.registrationRequired=true} in tests). */
public final class HnswsegKryoRegistrator implements KryoRegistrator {

    @Override
    public void registerClasses(Kryo kryo) {
        kryo.register(JobConfig.class);
        kryo.register(SegmentResult.class);
        kryo.register(SegmentResult[].class);
        kryo.register(long[].class);
        kryo.register(int[].class);
        kryo.register(Object[].class);
    }
}

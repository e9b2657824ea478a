package io.cmekflink.job;

import io.cmekflink.config.JobConfig;
import io.cmekflink.config.JobOptions;
import io.cmekflink.dek.DekCacheSettings;
import io.cmekflink.kms.KmsSettings;
import io.cmekflink.kms.RetryPolicy;
import io.cmekflink.link.Geo;
import java.net.URI;
import java.util.List;

/** The KMS and data-key settings of a job definition. */
final class KmsConfig {

    private KmsConfig() {}

    static KmsSettings kmsSettings(JobConfig config) {
        String endpoint = config.get(JobOptions.KMS_ENDPOINT);
        return new KmsSettings(
                config.get(JobOptions.KMS_LOCAL_REGION),
                endpoint.isEmpty() ? null : URI.create(endpoint),
                config.get(JobOptions.KMS_MAX_CONCURRENCY),
                config.get(JobOptions.KMS_ATTEMPT_TIMEOUT),
                new RetryPolicy(
                        config.get(JobOptions.KMS_RETRY_MAX_ATTEMPTS),
                        config.get(JobOptions.KMS_RETRY_BASE_DELAY),
                        config.get(JobOptions.KMS_RETRY_MAX_DELAY),
                        config.get(JobOptions.KMS_RETRY_BUDGET)));
    }

    static DekCacheSettings dekSettings(JobConfig config) {
        return new DekCacheSettings(
                config.get(JobOptions.DEK_MAX_AGE),
                config.get(JobOptions.DEK_REFRESH_AHEAD),
                config.get(JobOptions.DEK_MAX_ENCRYPTIONS),
                config.get(JobOptions.DEK_MAX_ENTRIES),
                config.get(JobOptions.DEK_FAILURE_TTL));
    }

    /** The AWS regions in which KMS may answer for a multi-region key: the job's geo. */
    static List<String> geoRegions(JobConfig config) {
        return Geo.parse(config.get(JobOptions.GEO)).regions();
    }
}

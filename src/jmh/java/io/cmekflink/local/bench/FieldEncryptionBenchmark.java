package io.cmekflink.local.bench;

import com.amazonaws.encryptionsdk.AwsCrypto;
import com.amazonaws.encryptionsdk.CommitmentPolicy;
import com.amazonaws.encryptionsdk.CryptoAlgorithm;
import com.amazonaws.encryptionsdk.CryptoMaterialsManager;
import com.amazonaws.encryptionsdk.caching.CachingCryptoMaterialsManager;
import com.amazonaws.encryptionsdk.caching.LocalCryptoMaterialsCache;
import com.amazonaws.encryptionsdk.jce.JceMasterKey;

import io.cmekflink.crypto.RecordId;
import io.cmekflink.crypto.RecordOpener;
import io.cmekflink.crypto.RecordSealer;
import io.cmekflink.dek.Dek;
import io.cmekflink.schema.DerivationOptions;
import io.cmekflink.schema.DerivedSchema;
import io.cmekflink.schema.MarkingRules;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypting and decrypting the marked fields of one benchmark record (five fields, about 750 bytes
 * of Avro encodings) on one thread, four ways:
 *
 * <ul>
 *   <li>{@code RecordSealer}: Avro encoding of the marked values, one AES-256-GCM seal with the
 *       associated data, and the envelope, written as the encrypted record in single-object
 *       encoding; decryption decodes that record, verifies and opens it, and decodes the values.
 *       {@code sealRecord} starts from the decoded GenericRecord, {@code sealBinary} from the
 *       record's Avro binary encoding, as the encrypt job does;
 *   <li>raw JCE AES-256-GCM over the same concatenated encodings, with the same counter nonce and
 *       no associated data: the floor of any design with one seal per record. {@code
 *       sealRawAesGcmWithAad} adds the record sealer's associated data, to show what GHASH over it
 *       costs;
 *   <li>the AWS Encryption SDK for Java 3.0.2 on the same bytes, with its caching materials manager
 *       over a local AES wrapping key ({@code JceMasterKey}, AES/GCM, no KMS, no network), once
 *       with the unsigned committing suite and once with the default suite (committing, ECDSA P-384
 *       signature per message).
 * </ul>
 *
 * The SDK's keyring API in this version has no caching materials manager of its own, so its legacy
 * {@code CachingCryptoMaterialsManager} with a master key replaces the Raw AES keyring, which
 * wraps data keys with AES-GCM in the same way.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class FieldEncryptionBenchmark {

    private static final String ORG = "org-00001";
    private static final String KEY_ARN =
            "arn:aws:kms:eu-west-1:200000000001:key/0b5f4e2c-7a61-4c7e-9d3b-1f2a3b4c5d6e";

    private GenericRecord record;
    private byte[] avro;
    private RecordSealer sealer;
    private RecordOpener opener;
    private Dek dek;
    private Dek openingDek;
    private byte[] sealedRecord;
    private GenericRecord sealedDerived;
    private long offset;

    private byte[] markedEncodings;
    private byte[] associatedData;
    private SecretKeySpec rawKey;
    private Cipher cipher;
    private byte[] nonce = new byte[Dek.NONCE_BYTES];
    private long rawCounter;
    private byte[] rawCiphertext;
    private byte[] rawCiphertextNonce;

    private AwsCrypto unsignedSdk;
    private AwsCrypto signedSdk;
    private CryptoMaterialsManager unsignedCmm;
    private CryptoMaterialsManager signedCmm;
    private byte[] unsignedMessage;
    private byte[] signedMessage;
    private final Map<String, String> context = Map.of("org_id", ORG, "purpose", "cmek-flink/v1");

    @Setup
    public void setUp() throws Exception {
        record = new BenchRecords(1).next(ORG);
        DerivedSchema derived =
                DerivedSchema.derive(
                        BenchRecords.SCHEMA, DerivationOptions.of(MarkingRules.sensitiveOnly()));
        sealer = RecordSealer.create(derived);
        opener = RecordOpener.create(derived);
        SecureRandom random = new SecureRandom();
        byte[] key = new byte[Dek.KEY_BYTES];
        random.nextBytes(key);
        byte[] edek = new byte[184];
        random.nextBytes(edek);
        dek =
                Dek.takeOwnershipForEncryption(
                        key.clone(), edek, KEY_ARN, 1L << 32, random.nextInt());
        openingDek = Dek.takeOwnershipForDecryption(key.clone(), edek, KEY_ARN);
        sealedRecord = sealer.sealToBytes(record, ORG, new RecordId("records", 0, 0), dek);
        sealedDerived = opener.decode(sealedRecord);
        avro = BenchRecords.encode(record);
        associatedData = opener.associatedData(sealedDerived);

        markedEncodings = markedEncodings(record);
        rawKey = new SecretKeySpec(key, "AES");
        cipher = Cipher.getInstance("AES/GCM/NoPadding");
        rawCiphertextNonce = new byte[Dek.NONCE_BYTES];
        random.nextBytes(rawCiphertextNonce);
        cipher.init(Cipher.ENCRYPT_MODE, rawKey, new GCMParameterSpec(128, rawCiphertextNonce));
        rawCiphertext = cipher.doFinal(markedEncodings);

        JceMasterKey wrappingKey =
                JceMasterKey.getInstance(
                        new SecretKeySpec(key, "AES"),
                        "cmek-flink-bench",
                        "wrapping-key",
                        "AES/GCM/NoPadding");
        unsignedSdk =
                AwsCrypto.builder()
                        .withCommitmentPolicy(CommitmentPolicy.RequireEncryptRequireDecrypt)
                        .withEncryptionAlgorithm(
                                CryptoAlgorithm.ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY)
                        .build();
        signedSdk =
                AwsCrypto.builder()
                        .withCommitmentPolicy(CommitmentPolicy.RequireEncryptRequireDecrypt)
                        .build();
        unsignedCmm = cachingCmm(wrappingKey);
        signedCmm = cachingCmm(wrappingKey);
        unsignedMessage =
                unsignedSdk.encryptData(unsignedCmm, markedEncodings, context).getResult();
        signedMessage = signedSdk.encryptData(signedCmm, markedEncodings, context).getResult();
    }

    private static CryptoMaterialsManager cachingCmm(JceMasterKey wrappingKey) {
        return CachingCryptoMaterialsManager.newBuilder()
                .withMasterKeyProvider(wrappingKey)
                .withCache(new LocalCryptoMaterialsCache(100))
                .withMaxAge(10, TimeUnit.MINUTES)
                .withMessageUseLimit(1L << 24)
                .build();
    }

    /** Returns the Avro encodings of the record's marked values, concatenated in schema order. */
    private static byte[] markedEncodings(GenericRecord record) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        for (Schema.Field f : BenchRecords.SCHEMA.getFields()) {
            if (Boolean.TRUE.equals(f.getObjectProp("sensitive"))) {
                new GenericDatumWriter<Object>(f.schema()).write(record.get(f.name()), encoder);
            }
        }
        encoder.flush();
        return out.toByteArray();
    }

    @Benchmark
    public byte[] sealRecord() throws Exception {
        return sealer.sealToBytes(record, ORG, new RecordId("records", 0, offset++), dek);
    }

    @Benchmark
    public byte[] sealBinary() throws Exception {
        return sealer.sealBinary(
                avro, 0, avro.length, ORG, new RecordId("records", 0, offset++), dek);
    }

    @Benchmark
    public byte[] sealRawAesGcm() throws Exception {
        ByteBuffer.wrap(nonce).putInt(7).putLong(rawCounter++);
        cipher.init(Cipher.ENCRYPT_MODE, rawKey, new GCMParameterSpec(128, nonce));
        return cipher.doFinal(markedEncodings);
    }

    /** Raw AES-GCM as above, with the record sealer's associated data of the same record. */
    @Benchmark
    public byte[] sealRawAesGcmWithAad() throws Exception {
        ByteBuffer.wrap(nonce).putInt(7).putLong(rawCounter++);
        cipher.init(Cipher.ENCRYPT_MODE, rawKey, new GCMParameterSpec(128, nonce));
        cipher.updateAAD(associatedData);
        return cipher.doFinal(markedEncodings);
    }

    /**
     * Raw AES-GCM with the associated data, then a new array of the sealed record's length filled
     * with the unmarked bytes and the ciphertext: the floor of any sealer that returns each
     * encrypted record as a new array.
     */
    @Benchmark
    public byte[] sealRawAesGcmWithAadIntoRecord() throws Exception {
        byte[] sealed = sealRawAesGcmWithAad();
        byte[] out = new byte[sealedRecord.length];
        int unmarked = out.length - sealed.length;
        System.arraycopy(avro, 0, out, 0, Math.min(unmarked, avro.length));
        System.arraycopy(sealed, 0, out, unmarked, sealed.length);
        return out;
    }

    @Benchmark
    public byte[] sealSdkUnsigned() {
        return unsignedSdk.encryptData(unsignedCmm, markedEncodings, context).getResult();
    }

    @Benchmark
    public byte[] sealSdkSigned() {
        return signedSdk.encryptData(signedCmm, markedEncodings, context).getResult();
    }

    @Benchmark
    public GenericRecord openRecord() throws Exception {
        return opener.open(opener.decode(sealedRecord), openingDek);
    }

    /** Reads and opens the record from its bytes, as the decrypt job does. */
    @Benchmark
    public byte[] openToBytes() throws Exception {
        return opener.openToBytes(opener.read(sealedRecord), openingDek, true);
    }

    @Benchmark
    public GenericRecord openDecodedRecord() throws Exception {
        return opener.open(sealedDerived, openingDek);
    }

    @Benchmark
    public byte[] openRawAesGcm() throws Exception {
        cipher.init(Cipher.DECRYPT_MODE, rawKey, new GCMParameterSpec(128, rawCiphertextNonce));
        return cipher.doFinal(rawCiphertext);
    }

    @Benchmark
    public byte[] openSdkUnsigned() {
        return unsignedSdk.decryptData(unsignedCmm, unsignedMessage).getResult();
    }

    @Benchmark
    public byte[] openSdkSigned() {
        return signedSdk.decryptData(signedCmm, signedMessage).getResult();
    }

    /** Bytes that each way adds to the marked values, for the report; printed once per fork. */
    @org.openjdk.jmh.annotations.TearDown
    public void printOverhead() {
        System.out.printf(
                "%noverhead bytes: marked values %d, associated data %d, record sealer +%d (whole"
                        + " record %d vs %d plaintext), raw AES-GCM +%d, SDK unsigned +%d, SDK"
                        + " signed +%d%n",
                markedEncodings.length,
                associatedData.length,
                sealedRecord.length - BenchRecords.encode(record).length,
                sealedRecord.length,
                BenchRecords.encode(record).length,
                rawCiphertext.length - markedEncodings.length,
                unsignedMessage.length - markedEncodings.length,
                signedMessage.length - markedEncodings.length);
    }
}

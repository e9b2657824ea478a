/**
 * Field encryption of one record with one AES-256-GCM operation: {@link
 * io.cmekflink.crypto.RecordSealer} seals the marked values of a record under a DEK, {@link
 * io.cmekflink.crypto.RecordOpener} verifies and decrypts them. The wire formats are documented
 * where they are written: the associated data in {@link io.cmekflink.crypto.AssociatedData}, the
 * envelope in {@link io.cmekflink.schema.EnvelopeSchema}, the value paths in {@link
 * io.cmekflink.schema.PathBuilder}. Golden fixtures in the tests freeze them.
 *
 * <p>Callers pass a {@link io.cmekflink.dek.Dek}, whose KMS encryption context is {@link
 * io.cmekflink.crypto.EncryptionContext}. The one exception is {@link
 * io.cmekflink.crypto.Decrypter}, a synchronous library for tests, tools and the demo, which calls
 * KMS and reads the data-key topic itself.
 */
package io.cmekflink.crypto;

/**
 * Who made a passkey, from its AAGUID, for the common authenticators (source: the community list
 * passkeydeveloper/passkey-authenticator-aaguids and the vendors' published AAGUIDs). Unknown,
 * or the all-zero AAGUID a `none` attestation often carries: null.
 */
const PROVIDERS: Readonly<Record<string, string>> = {
  'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4': 'Google Password Manager',
  'adce0002-35bc-c60a-648b-0b25f1f05503': 'Chrome on Mac',
  'fbfc3007-154e-4ecc-8c0b-6e020557d7bd': 'iCloud Keychain',
  'dd4ec289-e01d-41c9-bb89-70fa845d4bf2': 'iCloud Keychain (Managed)',
  '08987058-cadc-4b81-b6e1-30de50dcbe96': 'Windows Hello',
  '9ddd1817-af5a-4672-a2b9-3e3dd95000a9': 'Windows Hello',
  '6028b017-b1d4-4c02-b4b3-afcdafc96bb2': 'Windows Hello',
  'bada5566-a7aa-401f-bd96-45619a55120d': '1Password',
  'd548826e-79b4-db40-a3d8-11116f7e8349': 'Bitwarden',
  '531126d6-e717-415c-9320-3d9aa6981239': 'Dashlane',
  'b84e4048-15dc-4dd0-8640-f4f60813c8af': 'NordPass',
  'cb69481e-8ff7-4039-93ec-0a2729a154a8': 'YubiKey 5 Series',
  'ee882879-721c-4913-9775-3dfcce97072a': 'YubiKey 5 Series',
  'fa2b99dc-9e39-4257-8f92-4a30d23c4118': 'YubiKey 5 Series with NFC',
  '2fc0579f-8113-47ea-b116-bb5a8db9202a': 'YubiKey 5 Series with NFC',
  'c5ef55ff-ad9a-4b9f-b580-adebafe026d0': 'YubiKey 5Ci',
  '73bb0cd4-e502-49b8-9c6f-b59445bf720b': 'YubiKey 5 FIPS Series',
  'a4e9fc6d-4cbe-4758-b8ba-37598bb5bbaa': 'Security Key NFC by Yubico',
  'e77e3c64-05e3-428b-8824-0cbeb04b829d': 'Security Key NFC by Yubico',
  '0bb43545-fd2c-4185-87dd-feb0b2916ace': 'Security Key NFC by Yubico - Enterprise Edition',
  '53414d53-554e-4700-0000-000000000000': 'Samsung Pass',
};

/** The provider name of a canonical (lower-case, dashed) AAGUID, or null. */
export function passkeyProviderOf(aaguid: string | null | undefined): string | null {
  if (!aaguid) return null;
  return PROVIDERS[aaguid.toLowerCase()] ?? null;
}

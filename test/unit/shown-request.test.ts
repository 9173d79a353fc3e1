import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { shownRequest } from '../../src/activities/shown-request';

describe('a request as error messages show it', () => {
  it('keeps path and query, so the refused parameter is visible', () => {
    assert.equal(shownRequest('https://ods.example.org/data/v3/ed-fi/students?offset=0&limit=500&pageSize=5'), '/data/v3/ed-fi/students?offset=0&limit=500&pageSize=5');
    assert.equal(shownRequest('https://ods.example.org/data/v3/ed-fi/students'), '/data/v3/ed-fi/students');
  });

  it('masks credentials and shortens cursors, which can encode record values', () => {
    assert.equal(
      shownRequest('https://m.example.edu/webservice/rest/server.php?wstoken=s3cret&wsfunction=core_enrol_get_enrolled_users&access_token=abc&api_key=k'),
      '/webservice/rest/server.php?wstoken=***&wsfunction=core_enrol_get_enrolled_users&access_token=***&api_key=***',
    );
    assert.equal(shownRequest('https://ods/data/v3/ed-fi/students?pageSize=500&pageToken=eyJhIjo1MDB9'), '/data/v3/ed-fi/students?pageSize=500&pageToken=<cursor>');
    assert.equal(shownRequest('https://canvas/api/v1/accounts/1/users?per_page=100&page=bookmark:WyJQYXRlbCJd'), '/api/v1/accounts/1/users?per_page=100&page=<cursor>');
    assert.equal(shownRequest('https://x/records?cursor=abc&limit=10'), '/records?cursor=<cursor>&limit=10');
  });

  it('encodes what it shows as a URL would carry it', () => {
    assert.equal(shownRequest('https://x/r?filter=name%3D%27a%20b%27'), "/r?filter=name%3D'a%20b'");
  });
});

// Provider logos, shipped as files beside the app icons (the CSP allows no data: URLs).

import type { ProviderKind } from './api/types';
import azure_devops from '../../../icons/providers/azure_devops.svg';
import bitbucket from '../../../icons/providers/bitbucket.svg';
import gitea from '../../../icons/providers/gitea.svg';
import github from '../../../icons/providers/github.svg';
import gitlab from '../../../icons/providers/gitlab.svg';
import oidc from '../../../icons/providers/oidc.svg';

const LOGOS: Record<ProviderKind, string> = { oidc, github, gitlab, bitbucket, gitea, azure_devops };

/** The logo of a provider kind; the OpenID Connect mark for a kind this build does not know. */
export function logoFor(kind: string): string {
  return (LOGOS as Record<string, string>)[kind] ?? oidc;
}

export const KIND_NAMES: Record<ProviderKind, string> = {
  oidc: 'OpenID Connect',
  github: 'GitHub',
  gitlab: 'GitLab',
  bitbucket: 'Bitbucket',
  gitea: 'Gitea / Forgejo',
  azure_devops: 'Azure DevOps',
};

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/numeneon/numeneon/webpush"
)

// loadPushEnv reads the VAPID settings. All three set turn Web Push on;
// none leaves it off; some but not all is a configuration error.
func (c *Config) loadPushEnv(getenv func(string) string) {
	c.VAPIDPublicKey = getenv("VAPID_PUBLIC_KEY")
	c.VAPIDPrivateKey = getenv("VAPID_PRIVATE_KEY")
	c.VAPIDSubject = getenv("VAPID_SUBJECT")
}

func (c *Config) pushFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.VAPIDPublicKey, "vapid-public-key", c.VAPIDPublicKey, "VAPID public key for Web Push, base64url; numeneon vapid makes a pair (VAPID_PUBLIC_KEY)")
	fs.StringVar(&c.VAPIDSubject, "vapid-subject", c.VAPIDSubject, "contact for push services: mailto:you@example.com or an https:// URL (VAPID_SUBJECT)")
	// The private key has no flag: a flag shows in the process list.
}

// PushEnabled reports whether Web Push is configured.
func (c *Config) PushEnabled() bool {
	return c.VAPIDPublicKey != "" || c.VAPIDPrivateKey != "" || c.VAPIDSubject != ""
}

func (c *Config) validatePush() error {
	if !c.PushEnabled() {
		return nil
	}
	if c.VAPIDPublicKey == "" || c.VAPIDPrivateKey == "" || c.VAPIDSubject == "" {
		return errors.New("web push needs VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY and VAPID_SUBJECT together (numeneon vapid prints a key pair); set all three or none")
	}
	if _, err := c.pusher(); err != nil {
		return fmt.Errorf("VAPID_*: %w", err)
	}
	return nil
}

// pusher returns the Web Push sender of the configured keys.
func (c *Config) pusher() (*webpush.Pusher, error) {
	return webpush.New(webpush.Config{
		Keys:    webpush.Keys{Public: c.VAPIDPublicKey, Private: c.VAPIDPrivateKey},
		Subject: c.VAPIDSubject,
	})
}

func (c *Config) describePush(w io.Writer) {
	if !c.PushEnabled() {
		fmt.Fprintln(w, "Web Push         off (VAPID_* not set)")
		return
	}
	priv := "(not set)"
	if c.VAPIDPrivateKey != "" {
		priv = "********"
	}
	fmt.Fprintf(w, "VAPID_PUBLIC_KEY %s\n", c.VAPIDPublicKey)
	fmt.Fprintf(w, "VAPID_PRIVATE_KEY %s\n", priv)
	fmt.Fprintf(w, "VAPID_SUBJECT    %s\n", c.VAPIDSubject)
}

// runVAPID prints a fresh VAPID key pair as environment lines.
func runVAPID(stdout io.Writer) error {
	keys, err := webpush.GenerateKeys()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "VAPID_PUBLIC_KEY=%s\nVAPID_PRIVATE_KEY=%s\n", keys.Public, keys.Private)
	return nil
}
